/** Names the front never forwards from the client: any X-Auth-* (ours to set) and, as nginx does, any name with `_`. */
export function isForbiddenClientHeader(lowerName: string): boolean {
  return lowerName.startsWith('x-auth-') || lowerName.includes('_') || lowerName === 'authorization';
}

/** The request target without `jwt=` parameters (the literal name, as the nginx template's map). */
export function stripJwtParam(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const kept = url
    .slice(q + 1)
    .split('&')
    .filter((part) => !part.startsWith('jwt='));
  return kept.length === 0 || (kept.length === 1 && kept[0] === '') ? url.slice(0, q) : `${url.slice(0, q)}?${kept.join('&')}`;
}

/** True for `/authenticate` in any case or spelling nginx would route to the same place. */
export function isAuthenticatePath(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  return /^\/+authenticate(?:\/|$)/i.test(decoded);
}
