import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { Store } from '../store/store.js';
import type { IdentityClaims } from '../tokens/claims.js';
import { MAX_CLIENT_TOKEN_LENGTH } from '../tokens/limits.js';
import { checkTokenShape, type ShapeRefusal } from '../tokens/token-shape.js';
import { carriesOwnKey } from '../signing-keys/keyring-verifier.js';
import { TOKEN_TYPES } from '../tokens/types.js';
import { readClientClaims, type ClaimsRefusal } from './client-claims.js';
import { decoyKeys } from './decoy-keys.js';
import { isClientAlg } from './key-type.js';
import type { ClientsSource } from './registry.js';

export interface ClientVerifierOptions {
  /** The registered clients of the moment (read per token, so a reload applies at once). */
  clients: ClientsSource;
  /** Where each client's nonces are claimed, once, across every signer instance. */
  store: Pick<Store, 'claimNonce'>;
  /** CLIENT_TOKEN_WINDOW_S: how far a token's time may be from the signer's clock, either way. */
  windowS: number;
  /** Milliseconds since the epoch; tests freeze it. */
  now?: () => number;
}

/** Why a client token was refused; the caller sees none of these, only one 401 for all. */
export type ClientRefusal =
  | ClaimsRefusal
  /** `token_too_long`, `malformed` or `non_canonical`: refused by its text alone, before decoding. */
  | ShapeRefusal
  | 'untrusted_header'
  | 'alg_not_allowed'
  | 'wrong_token_type'
  | 'outside_window'
  | 'unknown_client'
  | 'alg_mismatch'
  | 'bad_signature'
  | 'replayed'
  /** A good signature, but jose refused the token: `exp` passed, `nbf` to come, an unknown `crit`. */
  | 'claims_refused';

export type ClientVerification = { ok: true; client: string; claims: IdentityClaims & Record<string, unknown> } | { ok: false; reason: ClientRefusal };

/** The gateway's own token types: an access or refresh token is a user's, never a client's. */
const GATEWAY_TYPS = new Set<string>(Object.values(TOKEN_TYPES));

/**
 * Builds the check of `Authorization: JWT <token>` (seeds/004): the key is chosen by the unverified
 * `username` claim, then the signature must verify with that client's key under its pinned
 * algorithm; the time must be within the window; and the nonce is claimed in the store, once.
 * An unknown client (or the wrong algorithm for its key) is checked against a decoy key, so it
 * costs what a bad signature costs and ends the same way. Throws only when the store cannot answer.
 */
export function createClientVerifier(opts: ClientVerifierOptions): (token: string) => Promise<ClientVerification> {
  const now = opts.now ?? Date.now;
  const decoys = decoyKeys();
  // A token is good for up to 2 windows of one signer's time (time ± window); another signer whose
  // clock differs by up to a window may take it a window later still. The nonce outlives all of that.
  const nonceTtlS = 3 * opts.windowS + 1;
  const refuse = (reason: ClientRefusal): ClientVerification => ({ ok: false, reason });
  return async (token) => {
    const misshapen = checkTokenShape(token, MAX_CLIENT_TOKEN_LENGTH);
    if (misshapen !== undefined) return refuse(misshapen);
    let header: ProtectedHeaderParameters;
    let payload: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch {
      return refuse('malformed');
    }
    // Decided by the token alone, whoever it names, so none of these says whether a client exists.
    if (carriesOwnKey(header)) return refuse('untrusted_header');
    if (!isClientAlg(header.alg)) return refuse('alg_not_allowed');
    if (typeof header.typ === 'string' && GATEWAY_TYPS.has(header.typ.toLowerCase().replace(/^application\//, ''))) return refuse('wrong_token_type');
    const read = readClientClaims(payload);
    if (!read.ok) return refuse(read.reason);
    const { username, time, nonce } = read.claims;
    const at = now();
    if (Math.abs(at / 1000 - time) > opts.windowS) return refuse('outside_window');

    const client = opts.clients().clients.get(username);
    const genuine = client !== undefined && client.alg === header.alg;
    const key: KeyObject = genuine ? client.key : (await decoys)[header.alg];
    try {
      // Pinned to the chosen key's algorithm: an HS256 token "signed" with a public key never gets here.
      await jwtVerify(token, key, { algorithms: [header.alg], currentDate: new Date(at), clockTolerance: opts.windowS });
    } catch (err) {
      if (!genuine) return refuse(client ? 'alg_mismatch' : 'unknown_client');
      return refuse(err instanceof errors.JWSSignatureVerificationFailed ? 'bad_signature' : 'claims_refused');
    }
    // A decoy never verifies; should one ever, it still admits no one.
    if (!genuine) return refuse(client ? 'alg_mismatch' : 'unknown_client');
    if (!(await opts.store.claimNonce(client.name, nonce, nonceTtlS))) return refuse('replayed');
    return { ok: true, client: client.name, claims: { sub: client.name } };
  };
}
