import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import type { Config } from '../config/load.js';
import { KEY_ALGS } from '../signing-keys/algorithms.js';
import { MAX_TOKEN_LENGTH } from '../tokens/limits.js';
import type { TokenRefusal } from '../tokens/refusal.js';
import { nonCanonicalPart } from '../tokens/token-shape.js';
import { TOKEN_TYPES } from '../tokens/types.js';
import { formatDuration, formatInstant } from './duration.js';

/** What an explanation may quote: the token, its unverified header and claims, and the configuration. */
export interface ReasonContext {
  token: string;
  header: ProtectedHeaderParameters | undefined;
  payload: JWTPayload | undefined;
  config: Config;
  /** Whether a key ring was loaded, or the secret alone verifies. */
  source: 'secret' | 'ring';
  nowSeconds: number;
}

const show = (value: unknown): string => JSON.stringify(value)?.slice(0, 80) ?? 'nothing';
const when = (c: ReasonContext, at: unknown): string =>
  typeof at === 'number'
    ? `${formatInstant(at)} (${formatDuration(Math.abs(c.nowSeconds - at))} ${at < c.nowSeconds ? 'ago' : 'from now'})`
    : 'an unknown time';

/** One sentence per refusal reason of createTokenVerifier (jose's codes and the gateway's own); the compiler wants each. */
const REASONS: Record<TokenRefusal, (c: ReasonContext) => string> = {
  token_too_long: () => `it is longer than ${MAX_TOKEN_LENGTH} characters, which tokengate never issues or accepts`,
  malformed: () =>
    'it is not a JWT: a token is three base64url parts joined by dots, with - and _ (never + or /) and no = padding (a "Bearer " prefix is fine)',
  non_canonical: (c) => spellingProblem(c.token),
  ERR_JWS_INVALID: () => 'its header or signature is not valid JWS (a part that does not decode, or a header that is not a JSON object)',
  ERR_JWT_INVALID: () => 'its payload is not a JSON object of claims',
  ERR_JOSE_ALG_NOT_ALLOWED: (c) => `its header says alg ${show(c.header?.alg)}, and tokengate accepts only ${KEY_ALGS.join(', ')}`,
  ERR_JOSE_NOT_SUPPORTED: () => 'its header asks for a feature tokengate does not support (such as a "crit" extension)',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: (c) =>
    `the signature does not match ${c.header?.kid === undefined ? 'the secret' : `key ${show(c.header.kid)}`}: the token was altered after signing, or signed with another key or secret`,
  ERR_JWT_EXPIRED: (c) => `it expired at ${when(c, c.payload?.exp)}; CLOCK_SKEW_S allows ${c.config.CLOCK_SKEW_S}s`,
  ERR_JWT_CLAIM_VALIDATION_FAILED: (c) => claimProblem(c),
  wrong_token_type: (c) =>
    `its typ header ${show(c.header?.typ)} is neither an access token's (at+jwt, JWT or none) nor a refresh token's (${TOKEN_TYPES.refresh})`,
  iat_in_future: (c) =>
    `it says it was issued at ${when(c, c.payload?.iat)}, later than now even with CLOCK_SKEW_S (${c.config.CLOCK_SKEW_S}s): a signer's clock is ahead`,
  unsafe_claims: () =>
    'its sub or roles break the identity rules (sub printable ASCII without surrounding spaces; roles strings without spaces or commas); tokengate never issues such a token',
  bad_session_claims: () => 'its jti or sid is not a string of 1 to 128 characters',
  unknown_kid: (c) =>
    c.source === 'ring'
      ? `signed with kid ${show(c.header?.kid)}, which is not in the key ring in ${c.config.KEYS_DIR} (retired, or another gateway's key)`
      : `signed with kid ${show(c.header?.kid)}, but there is no key ring in ${c.config.KEYS_DIR}: the HS256 secret signs, without kid`,
  missing_kid: (c) => `it has no kid, and JWT_ALG is ${c.config.JWT_ALG}: only under HS256 does a token without kid verify (with the secret)`,
  bad_kid: () => 'its kid header is not a string',
  untrusted_header: () => 'its header carries a key of its own (jwk, jku, x5u or x5c), which tokengate never trusts',
  alg_mismatch: (c) =>
    c.header?.kid === undefined
      ? `it has no kid and says alg ${show(c.header?.alg)}: a token without kid must be HS256, signed with the secret`
      : `its header says alg ${show(c.header.alg)}, but key ${show(c.header.kid)} is of another algorithm: an algorithm-confusion attempt or a forged header`,
  invalid: () => 'it could not be verified',
};

/** The plain-English sentence for a refusal reason. */
export function explainReason(reason: TokenRefusal, context: ReasonContext): string {
  return REASONS[reason](context);
}

/** Which part is spelt in a way no encoder writes, and how. */
function spellingProblem(token: string): string {
  const found = nonCanonicalPart(token);
  const rule = 'tokengate accepts each token in its one canonical spelling';
  if (found === undefined) return `a part is not canonical base64url; ${rule}`;
  if (found.problem === 'length')
    return `its ${found.part} is ${found.length} characters long, one more than a multiple of 4, which no base64url encoding produces; ${rule}`;
  return `its ${found.part} ends in "${found.last}", which sets bits base64url leaves unused: it is another spelling of the ${found.part} ending in "${found.canonicalLast}", altered after encoding; ${rule}`;
}

/** jose says only that some claim failed; the unverified claims tell which. */
function claimProblem(c: ReasonContext): string {
  const p = c.payload ?? {};
  if (p.iss !== c.config.ISSUER) return `its iss is ${show(p.iss)}, but ISSUER is ${show(c.config.ISSUER)}`;
  const aud = c.config.AUDIENCE;
  if (aud !== undefined && !(p.aud === aud || (Array.isArray(p.aud) && p.aud.includes(aud)))) return `its aud is ${show(p.aud)}, but AUDIENCE is ${show(aud)}`;
  if (typeof p.nbf === 'number' && p.nbf > c.nowSeconds) return `it is not valid before ${when(c, p.nbf)}`;
  if (p.exp === undefined) return 'it has no exp claim; tokengate accepts no token without an end';
  return 'a claim check failed (exp, iss, aud and nbf must be right; a refresh token also needs jti and sid)';
}
