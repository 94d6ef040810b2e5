/** One claim the upstream receives as a header of its own (`CLAIM_HEADERS`, e.g. `email:X-Auth-Email`). */
export interface ClaimHeader {
  claim: string;
  /** As configured (`X-Auth-Email`). */
  header: string;
}

/** The gateway's own identity headers; a claim header may not take one of their names. */
const RESERVED = ['x-auth-sub', 'x-auth-roles', 'x-auth-claims', 'x-auth-kind'];
/** In the gateway's namespace, so the signer's refusal of client-sent X-Auth-* headers covers it too. */
const HEADER_NAME = /^X-Auth-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/i;
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;
export const MAX_CLAIM_HEADERS = 16;
const MAX_HEADER_NAME = 64;

/**
 * Parses `claim:Header,claim:Header`. The header is after the last `:`, so a claim named by a URI
 * (`https://example.com/team:X-Auth-Team`) works. Every problem is reported, by its entry.
 */
export function parseClaimHeaders(list: string): { ok: true; headers: ClaimHeader[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const headers: ClaimHeader[] = [];
  const entries = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length > MAX_CLAIM_HEADERS) problems.push(`at most ${MAX_CLAIM_HEADERS} entries`);
  for (const entry of entries.slice(0, MAX_CLAIM_HEADERS)) {
    const cut = entry.lastIndexOf(':');
    const claim = entry.slice(0, cut);
    const header = entry.slice(cut + 1);
    const shown = JSON.stringify(entry.slice(0, 80));
    if (cut <= 0 || !CLAIM_NAME.test(claim)) problems.push(`${shown}: write claim:X-Auth-Name, the claim being 1 to 128 letters, digits or _ . : / -`);
    else if (!HEADER_NAME.test(header) || header.length > MAX_HEADER_NAME)
      problems.push(`${shown}: the header must be X-Auth-<Name> (letters, digits and single dashes, at most ${MAX_HEADER_NAME} characters)`);
    else if (RESERVED.includes(header.toLowerCase())) problems.push(`${shown}: ${header} is one of the gateway's own headers`);
    else if (headers.some((h) => h.header.toLowerCase() === header.toLowerCase())) problems.push(`${shown}: ${header} is given twice`);
    else headers.push({ claim, header });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, headers };
}

/** Printable ASCII without leading or trailing space: the only values written raw into a header. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const MAX_VALUE_LENGTH = 1024;

/**
 * The configured claims as header values: strings, numbers and booleans as text, an array of such
 * values joined with `,` (none may hold a `,` itself, so no element can pose as two). A missing
 * claim sends no header. Anything else (control characters, CR or LF, non-ASCII, objects, too long)
 * is never written: the answer is the name of the first claim at fault, and the request is refused.
 */
export function claimHeaderValues(
  claims: Record<string, unknown>,
  headers: readonly ClaimHeader[],
): { ok: true; values: Record<string, string> } | { ok: false; claim: string } {
  const values: Record<string, string> = {};
  for (const { claim, header } of headers) {
    if (!Object.hasOwn(claims, claim)) continue;
    const value = headerValue(claims[claim]);
    if (value === undefined) return { ok: false, claim };
    if (value !== '') values[header] = value;
  }
  return { ok: true, values };
}

function headerValue(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const parts = value.map(scalar);
    if (parts.some((p) => p === undefined || p.includes(','))) return undefined;
    return checked(parts.join(','));
  }
  const text = scalar(value);
  return text === undefined ? undefined : checked(text);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  return undefined;
}

const checked = (text: string): string | undefined => (text === '' || (text.length <= MAX_VALUE_LENGTH && HEADER_SAFE.test(text)) ? text : undefined);

/**
 * The nginx lines that carry each claim header from the `/verify` answer to the upstream, for
 * the `include tokengate-claims*.conf;` of the template (server level, beside the X-Auth-* lines).
 */
export function nginxClaimLines(headers: readonly ClaimHeader[]): string {
  const lines = headers.flatMap(({ header }) => {
    const name = header.toLowerCase().replaceAll('-', '_');
    const variable = `$tokengate_claim_${name.slice('x_auth_'.length)}`;
    return [`auth_request_set ${variable} $upstream_http_${name};`, `proxy_set_header ${header} ${variable};`];
  });
  return ['# Generated from CLAIM_HEADERS (tokengate nginx-claims): one claim header per pair of lines.', ...lines, ''].join('\n');
}
