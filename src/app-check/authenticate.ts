/**
 * The app's credential check: tokengate never checks a password itself; it posts the
 * credentials to the protected app's internal `/authenticate` (AUTHENTICATE_URL) and signs from
 * its JSON answer.
 */
import { GatewayError } from '../errors.js';
import { identityClaims, type IdentityClaims } from '../tokens/claims.js';
import { BodyTooLargeError, readCapped } from '../http/read-capped.js';

/** The largest answer read from the authenticate endpoint, for success and failure alike. */
export const MAX_APP_ANSWER_BYTES = 16 * 1024;

export interface Credentials {
  username: string;
  password: string;
}

/** The app accepted the credentials (its JSON object becomes the claims), or refused them. */
export type AuthenticateOutcome =
  | { kind: 'accepted'; claims: IdentityClaims & Record<string, unknown> }
  | { kind: 'refused'; status: number; body: Buffer; contentType?: string; retryAfter?: string };

export interface CredentialCheckOptions {
  url: string;
  timeoutMs: number;
}

/** Why the app's answer was unusable: for the log, never for the client. */
export class AppAnswerError extends GatewayError {
  constructor(readonly detail: string) {
    super('bad_upstream_response');
  }
}

/**
 * Posts the credentials as JSON to the authenticate endpoint. One deadline covers connect,
 * headers and body; redirects are not followed; bodies are capped.
 */
export function createCredentialCheck(opts: CredentialCheckOptions) {
  return async (creds: Credentials, requestId?: string): Promise<AuthenticateOutcome> => {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify({ username: creds.username, password: creds.password }),
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      throw transportError(err);
    }
    let body: Buffer;
    try {
      body = await readCapped(res.body, MAX_APP_ANSWER_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new AppAnswerError(`status ${res.status}, ${err.message}`);
      throw transportError(err);
    }
    if (res.status >= 200 && res.status < 300) return accepted(res.status, body);
    if (res.status >= 400) return refused(res, body);
    throw new AppAnswerError(`unexpected status ${res.status}`);
  };
}

function accepted(status: number, body: Buffer): AuthenticateOutcome {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppAnswerError(`status ${status} with a body that is not JSON`);
  }
  const parsed = identityClaims.safeParse(json);
  if (!parsed.success) {
    throw new AppAnswerError(`status ${status}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return { kind: 'accepted', claims: parsed.data };
}

function refused(res: Response, body: Buffer): AuthenticateOutcome {
  const contentType = res.headers.get('content-type') ?? undefined;
  const retryAfter = res.headers.get('retry-after') ?? undefined;
  return {
    kind: 'refused',
    status: res.status,
    body,
    ...(contentType ? { contentType } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
}

function transportError(err: unknown): GatewayError {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError') return new GatewayError('upstream_timeout', undefined, { cause: err });
  return new GatewayError('upstream_unavailable', undefined, { cause: err });
}
