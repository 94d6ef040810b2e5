/**
 * Where a JSON error can come from: the signer's own routes (which the embedded front serves
 * too), the embedded front's answers in nginx's place, and the nginx templates and snippets.
 */
export type Emitter = 'signer' | 'embedded' | 'nginx';

/** One error code: what the client gets, and when, for the docs. */
export interface ErrorCodeEntry {
  readonly status: number;
  /** The default message; a GatewayError may carry a more precise one. */
  readonly message: string;
  /** When it happens, one line of Markdown for docs/reference/error-codes.md. */
  readonly when: string;
  readonly emittedBy: readonly Emitter[];
}

/**
 * Every error the gateway answers with, by stable code: the one list the signer, the embedded
 * front, the nginx snippets' JSON bodies (test/unit/nginx-errors.test.ts) and the docs
 * (`npm run docs`) agree on. A code, status or message here is a wire contract.
 */
export const ERROR_CODES = {
  invalid_request: {
    status: 400,
    message: 'The request is not valid.',
    when: 'a body, field or path the route cannot use (a login body that is not two non-empty strings, `POST /introspect` without `token`, `POST /logout` with a bearer token without `jti` or `sid`); a request nginx or Node cannot parse (a bad request line, a control byte in a header, a path above `/`, headers over 8 KiB at nginx)',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  invalid_json: {
    status: 400,
    message: 'The request body is not valid JSON.',
    when: 'a JSON body that does not parse',
    emittedBy: ['signer'],
  },
  unauthorized: {
    status: 401,
    message: 'A valid token is required.',
    when: 'no valid token for a protected path (a browser is sent to the sign-in page instead), an API `POST /logout` or the admin API',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  invalid_client: {
    status: 401,
    message: "A registered client's signed token is required (Authorization: JWT).",
    when: '`POST /introspect` without a valid token of a registered client (`WWW-Authenticate: JWT …`)',
    emittedBy: ['signer'],
  },
  invalid_refresh_token: {
    status: 401,
    message: 'The refresh token is not valid; sign in again.',
    when: '`POST /refresh` with a refresh token that is used, revoked, expired, past its session, or not a refresh token',
    emittedBy: ['signer'],
  },
  cross_site_request: {
    status: 403,
    message: 'This form was not sent from this site.',
    when: 'a sign-in, sign-out or admin page form post from another site, or a sign-out or admin page post without its CSRF token (a page for browsers)',
    emittedBy: ['signer'],
  },
  forbidden: {
    status: 403,
    message: 'You are signed in, but not allowed to access this.',
    when: 'a valid identity the policy refuses for this path and method, or a non-admin on the admin page (a page for browsers)',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  not_found: {
    status: 404,
    message: 'Not found.',
    when: 'no such route, an internal location, or `/authenticate` from outside',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  session_not_found: {
    status: 404,
    message: 'No such live session for this user.',
    when: 'the admin API or page asked to end a session that is not a live one of that user',
    emittedBy: ['signer'],
  },
  method_not_allowed: {
    status: 405,
    message: 'This method is not allowed here.',
    when: 'a method the route does not take (`Allow` says which), `TRACE`, or `CONNECT` to a path',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  request_timeout: {
    status: 408,
    message: 'The request took too long to arrive.',
    when: 'at nginx, a client that sends its request too slowly (`client_header_timeout`, `client_body_timeout`)',
    emittedBy: ['nginx'],
  },
  length_required: {
    status: 411,
    message: 'The request needs a Content-Length.',
    when: 'at nginx, a body without the length nginx needs',
    emittedBy: ['nginx'],
  },
  payload_too_large: {
    status: 413,
    message: 'The request body is too large.',
    when: 'a login, refresh, logout or introspection body over 16 KiB; at nginx, any body over `client_max_body_size` (1 MiB by default)',
    emittedBy: ['signer', 'nginx'],
  },
  uri_too_long: {
    status: 414,
    message: 'The request URI is too long.',
    when: 'an admin API or admin page URL over 2,048 characters; at nginx, a request line over 8 KiB',
    emittedBy: ['signer', 'nginx'],
  },
  unsupported_media_type: {
    status: 415,
    message: 'Send application/json or application/x-www-form-urlencoded.',
    when: 'a body that is neither JSON nor a form (introspection: not a form), or one with a `Content-Encoding` or an unknown charset',
    emittedBy: ['signer'],
  },
  too_many_attempts: {
    status: 429,
    message: 'Too many failed sign-in attempts; try again later.',
    when: 'too many failed logins for this username from this address, or from this address in all (`Retry-After`: the seconds until one more attempt)',
    emittedBy: ['signer'],
  },
  rate_limited: {
    status: 429,
    message: 'Too many requests; slow down.',
    when: 'at nginx, over 5 requests a second from one address to `/login`, `/refresh` and `/logout` (burst 20), or 100 to `/introspect` (burst 200) (`Retry-After: 1`)',
    emittedBy: ['nginx'],
  },
  headers_too_large: {
    status: 431,
    message: 'The request headers are too large.',
    when: 'headers over 64 KiB at a Node server (behind nginx, nginx answers 400 first)',
    emittedBy: ['signer', 'embedded'],
  },
  server_error: {
    status: 500,
    message: 'The gateway failed to handle the request.',
    when: 'a bug in the signer, or an nginx failure after the check passed; details are logged, never sent',
    emittedBy: ['signer', 'embedded', 'nginx'],
  },
  not_implemented: {
    status: 501,
    message: 'This transfer encoding is not supported.',
    when: 'a `Transfer-Encoding` other than `chunked` alone',
    emittedBy: ['embedded', 'nginx'],
  },
  bad_upstream_response: {
    status: 502,
    message: 'The authentication service gave an answer the gateway cannot use.',
    when: 'the app answered a login 2xx with something other than a JSON object with a safe string `sub` (and `roles`), over 16 KiB, or 1xx/3xx',
    emittedBy: ['signer'],
  },
  upstream_unavailable: {
    status: 502,
    message: 'The authentication service is unreachable.',
    when: "the app's authenticate endpoint (`AUTHENTICATE_URL`) is unreachable",
    emittedBy: ['signer'],
  },
  app_unavailable: {
    status: 502,
    message: 'The application is unreachable.',
    when: 'the app is unreachable for a request that passed the check',
    emittedBy: ['embedded', 'nginx'],
  },
  signer_unavailable: {
    status: 503,
    message: 'The token service is unavailable.',
    when: 'nginx cannot reach the signer, or the signer fails or hangs (`Retry-After: 5`)',
    emittedBy: ['nginx'],
  },
  store_unavailable: {
    status: 503,
    message: 'The session store is unavailable; try again shortly.',
    when: 'Redis does not answer within `REDIS_TIMEOUT_MS`, or its copy of the revocation list may be stale (`Retry-After: 1`)',
    emittedBy: ['signer'],
  },
  upstream_timeout: {
    status: 504,
    message: 'The authentication service did not answer in time.',
    when: 'the authenticate endpoint took longer than `AUTHENTICATE_TIMEOUT_MS`',
    emittedBy: ['signer'],
  },
  app_timeout: {
    status: 504,
    message: 'The application did not answer in time.',
    when: 'the app took longer than 60 s to answer a request that passed the check',
    emittedBy: ['embedded', 'nginx'],
  },
  http_version_not_supported: {
    status: 505,
    message: 'This HTTP version is not supported.',
    when: 'an HTTP major version above 1 on a plain-text request line (`HTTP/2.0`)',
    emittedBy: ['embedded', 'nginx'],
  },
} as const satisfies Record<string, ErrorCodeEntry>;

/** A code the gateway answers with; the compiler refuses any other. */
export type ErrorCode = keyof typeof ERROR_CODES;
