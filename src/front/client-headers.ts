/**
 * Client headers the embedded front never forwards, as the nginx template: the gateway's
 * `X-Auth-*` (set from the verified token instead), any name with `_` (nginx's
 * `underscores_in_headers off`), and `Authorization` (the app never sees the token).
 */
export function isForbiddenClientHeader(lowerName: string): boolean {
  return lowerName.startsWith('x-auth-') || lowerName.includes('_') || lowerName === 'authorization';
}
