import type { ClientRefusal } from '../service-clients/verify-client.js';
import type { RefreshRefusal } from '../session/sessions.js';
import type { MalformedRequest } from '../tokens/extract.js';
import type { TokenRefusal } from '../tokens/refusal.js';

/** The reason `/verify` refuses a client that sends headers of the gateway's `X-Auth-*` namespace (logged as it is). */
export const FORBIDDEN_HEADER = 'client sent X-Auth-* headers';

/** Why an access token is refused as `/verify` reads it: the verifier's reasons, or revoked. */
export type AccessRefusal = TokenRefusal | 'revoked';

/**
 * Every reason a `/verify` answers 401 for, whatever the credential: an access token, a session's
 * refresh cookie, a client's own token, malformed credentials, none at all, or a claim that
 * cannot be a header. The metric label of each is in `metrics/refusal-labels.ts`, checked by the
 * compiler; `tokengate verify` explains the token verifier's own (`cli/verify-reasons.ts`).
 */
export type RefusalReason = AccessRefusal | RefreshRefusal | ClientRefusal | MalformedRequest | 'no_token' | 'unsafe_claim_header' | typeof FORBIDDEN_HEADER;
