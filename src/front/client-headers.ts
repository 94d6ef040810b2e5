/**
 * Client headers the embedded front never forwards, as the nginx template: the gateway's
 * `X-Auth-*` (set from the verified token instead; a client's own are refused earlier, this is
 * the second line) and `Authorization` (the app never sees the token). Names with `_` never
 * get this far: the front drops them on arrival, as nginx does.
 */
export function isForbiddenClientHeader(lowerName: string): boolean {
  return lowerName.startsWith('x-auth-') || lowerName === 'authorization';
}
