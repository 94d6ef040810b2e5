import { StoreUnavailableError } from './store/store.js';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** An error that is safe to show to the client: its code and message are public. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code].message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
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
