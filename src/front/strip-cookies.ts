import { cookieNames } from '../session/cookies.js';

/** PCRE's `\s` (JavaScript's also takes U+00A0 and other non-ASCII spaces, which PCRE does not). */
const S = '[\\t\\n\\v\\f\\r ]';
/** `tg_access`, `tg_refresh`, `tg_csrf`: the unprefixed names; the maps allow `__Host-` before each. */
const NAMES = Object.values(cookieNames(false));

/** One map per name: its first occurrence cut out, with the `;` and spaces before it. */
const CUT_ONE = NAMES.map((name) => new RegExp(`^(.*?)(?:^|;${S}*)(?:__Host-)?${name}${S}*=[^;]*(.*)$`));
/** The next map: a cut at the start leaves the `;` that followed it. */
const LEADING = new RegExp(`^;${S}*`);
/** The last map: any of them still there (sent twice, or spelt with a leading space) drops the header. */
const LEFT = new RegExp(`(?:^|;)${S}*(?:__Host-)?(?:${NAMES.join('|')})${S}*=`);

/**
 * The `Cookie` header the app receives: the nginx maps of `$tokengate_cookie`
 * (nginx/snippets/tokengate-http.conf.template) step by step, so both fronts send the same bytes.
 * `header` is every Cookie header joined with `; `, as nginx's `$http_cookie` and Node's
 * `req.headers.cookie` both join them; undefined when nothing is to be sent.
 */
export function withoutGatewayCookies(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let value = header;
  for (const cut of CUT_ONE) {
    const m = cut.exec(value);
    if (m) value = `${m[1]}${m[2]}`;
  }
  value = value.replace(LEADING, '');
  if (LEFT.test(value)) return undefined;
  return value === '' ? undefined : value;
}
