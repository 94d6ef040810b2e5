import { CLEARED_HEADERS, HOP_BY_HOP_HEADERS, SET_HEADERS } from './forwarded-headers.js';
import { withoutGatewayCookies } from './strip-cookies.js';

/**
 * Client headers never copied as they came: the ones the front writes itself, the cleared ones
 * and the hop-by-hop ones, as the protect snippet's proxy_set_header lines and nginx's proxy
 * module do. The names a `Connection` header lists are copied all the same: nginx does not drop
 * them either (it only clears the hop-by-hop names above), and the two fronts must agree.
 */
const NOT_COPIED = new Set<string>([...SET_HEADERS, ...CLEARED_HEADERS, ...HOP_BY_HOP_HEADERS].map((n) => n.toLowerCase()));

/**
 * The gateway's identity namespace. The signer refuses a request carrying any such header, so
 * none gets this far; this is the second line, as the template's own X-Auth-* lines are.
 */
const IDENTITY = /^x-auth-/;

/** What the front knows about a request that passed the check, besides the client's headers. */
export interface AppRequest {
  /** The client's headers as Node read them (every line, in order), invalid names already dropped. */
  rawHeaders: readonly string[];
  /** The Host to send: see `appHost`; the app's own address when the client sent none. */
  host: string;
  /** X-Forwarded-Host: the same host, absent when the client sent no Host (HTTP/1.0). */
  forwardedHost: string | undefined;
  /** The socket peer, as nginx's `$remote_addr`. */
  clientAddress: string;
  /** The listening socket's scheme, as nginx's `$scheme`. */
  scheme: 'http' | 'https';
  /** The front's own id for this request, never the client's. */
  requestId: string;
  /** X-Auth-* and CLAIM_HEADERS from the decision; an empty value sends nothing. */
  identity: Readonly<Record<string, string>>;
}

/** One header name with its values, each sent as a line of its own. */
export type HeaderLines = [name: string, values: string[]][];

/**
 * Every header the app receives, as the nginx protect snippet sends them: the front's own
 * (Host, X-Request-Id, Cookie without the session cookies, identity, where the request came from),
 * the body's framing, and each other client header with every one of its lines (Node joins
 * duplicates in `req.headers`; nginx sends each line as it came).
 */
export function appHeaders(req: AppRequest): HeaderLines {
  const copied = new Map<string, [name: string, values: string[]]>();
  const cookies: string[] = [];
  let contentLength: string | undefined;
  let chunked = false;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'cookie') cookies.push(value);
    else if (lower === 'content-length') contentLength = value;
    else if (lower === 'transfer-encoding') chunked = true;
    if (NOT_COPIED.has(lower) || IDENTITY.test(lower)) continue;
    const entry = copied.get(lower);
    if (entry) entry[1].push(value);
    else copied.set(lower, [name, [value]]);
  }
  const own: HeaderLines = [
    ['Host', [req.host]],
    ['X-Request-Id', [req.requestId]],
    ['X-Real-IP', [req.clientAddress]],
    ['X-Forwarded-For', [req.clientAddress]],
    ['X-Forwarded-Proto', [req.scheme]],
  ];
  if (req.forwardedHost !== undefined) own.push(['X-Forwarded-Host', [req.forwardedHost]]);
  // Joined with `; ` as nginx's $http_cookie joins several Cookie headers.
  const cookie = withoutGatewayCookies(cookies.length > 0 ? cookies.join('; ') : undefined);
  if (cookie !== undefined) own.push(['Cookie', [cookie]]);
  for (const [name, value] of Object.entries(req.identity)) if (value !== '') own.push([name, [value]]);
  // The body as it arrives: nginx sends the client's length; a chunked body (already checked to
  // be plain `chunked`) is streamed on chunked, where nginx would read it whole first.
  if (contentLength !== undefined) own.push(['Content-Length', [contentLength]]);
  else if (chunked) own.push(['Transfer-Encoding', ['chunked']]);
  return [...own, ...copied.values()];
}
