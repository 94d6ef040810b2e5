/**
 * The host the app is told (Host and X-Forwarded-Host), computed as the nginx snippets do:
 * nginx's `$host` (`ngx_http_validate_host`) plus the port the client wrote in Host
 * (`map $http_host $tokengate_host_port` in nginx/snippets/tokengate-http.conf.template).
 * Byte for byte, odd inputs included, so both fronts send the app the same Host.
 */

/** `$tokengate_host_port`: a `:port` of one to five digits after the host name (or a bracketed IPv6 address). */
const PORT = /^(?:\[[^\]]*\]|[^:[]*):([0-9]{1,5})$/;

/**
 * nginx's `$host` from a Host header: lower case (ASCII only), without a trailing dot or the
 * port; undefined where nginx answers 400 (empty, `..`, `/`, NUL, spaces or control bytes).
 */
export function nginxHost(value: string): string | undefined {
  let dotPos = value.length;
  let hostLen = value.length;
  let state: 'usual' | 'literal' | 'rest' = 'usual';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ch = value[i];
    if (ch === '.') {
      if (dotPos === i - 1) return undefined;
      dotPos = i;
    } else if (ch === ':') {
      if (state === 'usual') {
        hostLen = i;
        state = 'rest';
      }
    } else if (ch === '[') {
      if (i === 0) state = 'literal';
    } else if (ch === ']') {
      if (state === 'literal') {
        hostLen = i + 1;
        state = 'rest';
      }
    } else if (c === 0 || ch === '/' || c <= 0x20 || c === 0x7f) {
      return undefined;
    }
  }
  if (dotPos === hostLen - 1) hostLen--;
  if (hostLen <= 0) return undefined;
  // ngx_strlow: A-Z only; a Latin-1 byte such as `É` stays as it came.
  return value.slice(0, hostLen).replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** What the app is told: `host` for both headers, or nothing (no Host at all: HTTP/1.0), or a 400. */
export type AppHost = { ok: true; host: string | undefined } | { ok: false };

/**
 * The app's Host from every Host header the client sent (`rawHeaders` keeps them all): nginx
 * refuses two, and an invalid one; none (HTTP/1.0) leaves the choice to the caller.
 */
export function appHost(hostHeaders: readonly string[]): AppHost {
  if (hostHeaders.length === 0) return { ok: true, host: undefined };
  if (hostHeaders.length > 1) return { ok: false };
  const raw = hostHeaders[0]!;
  const host = nginxHost(raw);
  if (host === undefined) return { ok: false };
  const port = PORT.exec(raw)?.[1];
  return { ok: true, host: port === undefined ? host : `${host}:${port}` };
}
