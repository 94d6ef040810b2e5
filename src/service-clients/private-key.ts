import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { clientAlgOf, type ClientAlg } from './key-type.js';
import { parseJsonObject } from '../signing-keys/small-file.js';

export type ParsedPrivateKey = { ok: true; key: KeyObject; alg: ClientAlg } | { ok: false; reason: string };

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/**
 * Reads the private key a client signs with: any PEM OpenSSL writes (PKCS#8, PKCS#1 RSA, SEC1 EC)
 * or a private JWK. Encrypted keys, public keys and shared secrets are refused with a reason
 * that never quotes the file.
 */
export function parseClientPrivateKey(text: string): ParsedPrivateKey {
  const trimmed = text.trim();
  const parsed = trimmed.startsWith('{') ? fromJwk(trimmed) : fromPem(trimmed);
  if (!parsed.ok) return parsed;
  const alg = clientAlgOf(parsed.key);
  return alg.ok ? { ok: true, key: parsed.key, alg: alg.alg } : alg;
}

function fromPem(text: string): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  const labels = [...text.matchAll(PEM_LABEL)].map((m) => m[1]!);
  if (labels.length === 0) return { ok: false, reason: 'is neither a PEM private key nor a JWK' };
  if (labels.some((l) => l.includes('ENCRYPTED')) || text.includes('Proc-Type: 4,ENCRYPTED')) {
    return { ok: false, reason: 'is encrypted; keep a decrypted copy readable only by the client (openssl pkey -in KEY -out KEY.plain.pem)' };
  }
  if (!labels.some((l) => l.includes('PRIVATE')))
    return { ok: false, reason: 'holds no private key: sign with the private key (its public half is what tokengate client add registers)' };
  try {
    return { ok: true, key: createPrivateKey({ key: text, format: 'pem' }) };
  } catch {
    return { ok: false, reason: 'is not a valid PEM private key' };
  }
}

function fromJwk(text: string): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const jwk = json.obj;
  if (jwk.kty === 'oct') return { ok: false, reason: 'is a shared secret (kty "oct"); a client signs with an RSA, P-256 or Ed25519 private key' };
  if (typeof jwk.d !== 'string')
    return { ok: false, reason: 'holds no private key (no "d"): sign with the private key (its public half is what tokengate client add registers)' };
  try {
    return { ok: true, key: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
  } catch {
    return { ok: false, reason: 'is not a valid private JWK' };
  }
}
