import { StoreUnavailableError } from './store/store.js';

/**
 * Every error the gateway can answer with, by stable code: the signer's, the embedded front's and
 * nginx's own (the JSON bodies in nginx/snippets/, which a test checks against this list).
 */
const STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_client: 401,
  invalid_refresh_token: 401,
  cross_site_request: 403,
  forbidden: 403,
  not_found: 404,
  session_not_found: 404,
  too_many_attempts: 429,
  rate_limited: 429,
  method_not_allowed: 405,
  request_timeout: 408,
  length_required: 411,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  server_error: 500,
  not_implemented: 501,
  http_version_not_supported: 505,
  bad_upstream_response: 502,
  upstream_unavailable: 502,
  app_unavailable: 502,
  signer_unavailable: 503,
  store_unavailable: 503,
  upstream_timeout: 504,
  app_timeout: 504,
} as const;

export type ErrorCode = keyof typeof STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_request: 'The request is not valid.',
  invalid_json: 'The request body is not valid JSON.',
  unauthorized: 'A valid token is required.',
  invalid_client: "A registered client's signed token is required (Authorization: JWT).",
  invalid_refresh_token: 'The refresh token is not valid; sign in again.',
  cross_site_request: 'This form was not sent from this site.',
  forbidden: 'You are signed in, but not allowed to access this.',
  not_found: 'Not found.',
  session_not_found: 'No such live session for this user.',
  too_many_attempts: 'Too many failed sign-in attempts; try again later.',
  rate_limited: 'Too many requests; slow down.',
  method_not_allowed: 'This method is not allowed here.',
  request_timeout: 'The request took too long to arrive.',
  length_required: 'The request needs a Content-Length.',
  payload_too_large: 'The request body is too large.',
  uri_too_long: 'The request URI is too long.',
  unsupported_media_type: 'Send application/json or application/x-www-form-urlencoded.',
  server_error: 'The gateway failed to handle the request.',
  not_implemented: 'This transfer encoding is not supported.',
  http_version_not_supported: 'This HTTP version is not supported.',
  bad_upstream_response: 'The authentication service gave an answer the gateway cannot use.',
  upstream_unavailable: 'The authentication service is unreachable.',
  signer_unavailable: 'The token service is unavailable.',
  store_unavailable: 'The session store is unavailable; try again shortly.',
  app_unavailable: 'The application is unreachable.',
  app_timeout: 'The application did not answer in time.',
  upstream_timeout: 'The authentication service did not answer in time.',
};

/** The HTTP status and default message of each code, for the nginx snippets' test and the docs. */
export const ERROR_CODES = Object.fromEntries(
  (Object.keys(STATUS) as ErrorCode[]).map((code) => [code, { status: STATUS[code], message: DEFAULT_MESSAGE[code] }]),
) as Readonly<Record<ErrorCode, { readonly status: number; readonly message: string }>>;

/** An error that is safe to show to the client: its code and message are public. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? DEFAULT_MESSAGE[code], options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = STATUS[code];
  }
}

export interface HttpError {
  status: number;
  body: { error: ErrorCode; message: string };
}

/** Turns any thrown value into the response the client sees; internals become `server_error`. */
export function toHttp(err: unknown): HttpError {
  const known = err instanceof GatewayError ? err : (fromStore(err) ?? fromBodyParser(err) ?? new GatewayError('server_error'));
  return { status: known.status, body: { error: known.code, message: known.message } };
}

/** Redis unreachable or too slow: the client may retry shortly; nothing was guessed. */
function fromStore(err: unknown): GatewayError | undefined {
  return err instanceof StoreUnavailableError ? new GatewayError('store_unavailable', undefined, { cause: err }) : undefined;
}

/** body-parser (used by express.json/urlencoded) reports problems as errors with a `type`. */
function fromBodyParser(err: unknown): GatewayError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  switch ((err as { type: unknown }).type) {
    case 'entity.too.large':
      return new GatewayError('payload_too_large');
    case 'entity.parse.failed':
      return new GatewayError('invalid_json');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new GatewayError('unsupported_media_type', 'Unsupported charset or content encoding.');
    case 'parameters.too.many':
    case 'request.size.invalid':
    case 'request.aborted':
      return new GatewayError('invalid_request');
    default:
      return undefined;
  }
}
