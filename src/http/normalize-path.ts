/**
 * The path as nginx sees it when choosing a location: percent-decoded, duplicate slashes
 * merged, `.` and `..` segments resolved. Undefined where nginx answers 400: a bad escape,
 * a NUL byte, or `..` climbing above the root.
 */
export function normalizePath(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || !decoded.startsWith('/')) return undefined;
  // Many URL parsers (WHATWG: browsers, fetch-style servers) read `\` as `/`: `/public/..\admin` is
  // `/admin` to them. No path with one is judged or forwarded.
  if (decoded.includes('\\')) return undefined;
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
      continue;
    }
    segments.push(part);
  }
  const last = parts[parts.length - 1];
  const trailingSlash = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
}

/** Escapes a normalized path for the request line, as nginx does when it forwards a changed URI. */
export function encodePath(path: string): string {
  return encodeURI(path).replace(/[?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `/authenticate` and anything an app might route to it (`/authenticate/x`, `;params`, `.json`), any case. */
export function isAuthenticatePath(normalizedPath: string): boolean {
  return /^\/authenticate(?:[/;.]|$)/i.test(normalizedPath);
}
