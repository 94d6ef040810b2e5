import type { Router } from 'express';
import { CLIENT_ALGS } from '../service-clients/key-type.js';
import type { KeysSource, TokenKeys } from '../signing-keys/token-keys.js';
import { INTROSPECT_PATH } from './introspect.js';
import { JWKS_PATH } from './jwks.js';
import { publicDocumentRouter } from './public-document.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/**
 * How an introspection caller authenticates: `Authorization: JWT <token>`, a token the caller signs
 * with its registered key (seeds/004). No registered method name fits it (`private_key_jwt` is an
 * RFC 7523 assertion in the body), so it has a name of its own.
 */
export const CLIENT_JWT_AUTH_METHOD = 'tokengate_client_jwt';

export interface DiscoveryOptions {
  keys: KeysSource;
  /** ISSUER: the `iss` of every token. */
  issuer: string;
  /** PUBLIC_ORIGIN: where clients reach the gateway, so the endpoints are URLs through it. */
  origin: string;
  /** JWKS_MAX_AGE_S: the document changes with the keys, as the JWKS does. */
  maxAgeS: number;
}

/**
 * The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414) of a token issuer that is not
 * a full OpenID Provider: no authorization or token endpoint, so no response type (`[]`). The
 * signing algorithms are those of the keys the JWKS publishes, so a verifier configured from it
 * accepts exactly what it can check: none under the HS256 secret alone, whose JWKS is empty.
 */
export function discoveryDocument(opts: Pick<DiscoveryOptions, 'issuer' | 'origin'>, keys: TokenKeys) {
  const algs = [
    ...new Set(
      keys
        .publicJwks()
        .map((jwk) => jwk.alg)
        .filter((alg): alg is string => typeof alg === 'string'),
    ),
  ].sort();
  return {
    issuer: opts.issuer,
    jwks_uri: `${opts.origin}${JWKS_PATH}`,
    response_types_supported: [] as string[],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
    introspection_endpoint: `${opts.origin}${INTROSPECT_PATH}`,
    introspection_endpoint_auth_methods_supported: [CLIENT_JWT_AUTH_METHOD],
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ALGS],
  };
}

/** `GET /.well-known/openid-configuration`: public, cacheable like the JWKS, rebuilt when the keys change. */
export function discoveryRouter(opts: DiscoveryOptions): Router {
  return publicDocumentRouter(DISCOVERY_PATH, { keys: opts.keys, maxAgeS: opts.maxAgeS, build: (keys) => discoveryDocument(opts, keys) });
}
