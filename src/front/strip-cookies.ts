import { ALL_COOKIE_NAMES } from '../session/cookies.js';

const GATEWAY_COOKIES = new Set(ALL_COOKIE_NAMES);

/** The `Cookie` header without the gateway's session cookies, as nginx sends it; undefined when nothing is left. */
export function withoutGatewayCookies(header: number | string | string[] | undefined): string | undefined {
  if (header === undefined || typeof header === 'number') return undefined;
  const kept = (Array.isArray(header) ? header.join('; ') : header)
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && !GATEWAY_COOKIES.has(pair.split('=', 1)[0]!.trim()));
  return kept.length > 0 ? kept.join('; ') : undefined;
}
