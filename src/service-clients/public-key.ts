import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { clientAlgOf, type ClientAlg } from './key-type.js';
import type { ClientKeyFormat } from './names.js';
import { parseJsonObject } from '../signing-keys/small-file.js';

/** A client's public key that passed every check, and the one algorithm it verifies. */
export interface ClientPublicKey {
  alg: ClientAlg;
  key: KeyObject;
  format: ClientKeyFormat;
}

export type ParsedClientKey = { ok: true; value: ClientPublicKey } | { ok: false; reason: string };

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;
/** JWK members only a private key or a shared secret has (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** The members a public key of each type is made of; every other member is dropped before import. */
const PUBLIC_JWK_MEMBERS: Record<string, readonly string[]> = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'], OKP: ['kty', 'crv', 'x'] };

export const PRIVATE_KEY_REFUSED =
  'holds a private key, which must never leave the client: register its public half only (openssl pkey -in KEY -pubout -out KEY.pub.pem)';

/**
 * Reads a client's public key: a PEM `PUBLIC KEY` (SPKI) or a single public JWK. Private keys,
 * shared secrets, certificates and key sets are refused; every reason names what is wrong, never key material.
 */
export function parseClientPublicKey(text: string): ParsedClientKey {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? fromJwk(trimmed) : fromPem(trimmed);
}

function fromPem(text: string): ParsedClientKey {
  const labels = [...text.matchAll(PEM_LABEL)].map((m) => m[1]!);
  if (labels.some((label) => label.includes('PRIVATE'))) return { ok: false, reason: PRIVATE_KEY_REFUSED };
  if (labels.length === 0) return { ok: false, reason: 'is neither a PEM public key (-----BEGIN PUBLIC KEY-----) nor a JWK' };
  if (labels.length > 1) return { ok: false, reason: `holds ${labels.length} PEM blocks; a client has exactly one public key` };
  if (labels[0] === 'CERTIFICATE') return { ok: false, reason: 'is a certificate; register the public key it holds (openssl x509 -in CERT -pubkey -noout)' };
  if (labels[0] !== 'PUBLIC KEY') return { ok: false, reason: `holds a PEM "${labels[0]}"; write the key as SPKI (-----BEGIN PUBLIC KEY-----)` };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    return { ok: false, reason: 'is not a valid PEM public key' };
  }
  return withAlg(key, 'pem');
}

function fromJwk(text: string): ParsedClientKey {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const obj = json.obj;
  if (Object.hasOwn(obj, 'keys')) return { ok: false, reason: 'is a JWK set; register one key (a single JWK) per client' };
  if (obj.kty === 'oct') return { ok: false, reason: 'is a shared secret (kty "oct"); a client signs with a private key the gateway never holds' };
  if (PRIVATE_JWK_MEMBERS.some((name) => Object.hasOwn(obj, name))) return { ok: false, reason: PRIVATE_KEY_REFUSED };
  if (obj.use !== undefined && obj.use !== 'sig') return { ok: false, reason: '"use" must be "sig" when present' };
  const members = typeof obj.kty === 'string' && Object.hasOwn(PUBLIC_JWK_MEMBERS, obj.kty) ? PUBLIC_JWK_MEMBERS[obj.kty]! : undefined;
  if (!members) return { ok: false, reason: '"kty" must be "RSA", "EC" or "OKP"' };
  const jwk: Record<string, unknown> = {};
  for (const name of members) {
    if (typeof obj[name] !== 'string') return { ok: false, reason: `"${name}" is missing or not a string` };
    jwk[name] = obj[name];
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return { ok: false, reason: 'is not a valid public JWK' };
  }
  const parsed = withAlg(key, 'jwk');
  if (parsed.ok && obj.alg !== undefined && obj.alg !== parsed.value.alg) {
    return { ok: false, reason: `"alg" says ${JSON.stringify(String(obj.alg).slice(0, 16))}, but this key signs ${parsed.value.alg}` };
  }
  return parsed;
}

function withAlg(key: KeyObject, format: ClientKeyFormat): ParsedClientKey {
  const alg = clientAlgOf(key);
  return alg.ok ? { ok: true, value: { alg: alg.alg, key, format } } : alg;
}

/** The key as `tokengate client add` writes it: SPKI PEM, or a JWK of the public members with `alg` and `use`. */
export function canonicalKeyText(value: ClientPublicKey): string {
  if (value.format === 'pem') return value.key.export({ type: 'spki', format: 'pem' }).toString();
  return `${JSON.stringify({ ...value.key.export({ format: 'jwk' }), alg: value.alg, use: 'sig' }, null, 2)}\n`;
}

/** A short, public name for a key (SHA-256 of its SPKI, base64url, 16 characters): for logs and listings, to tell keys apart. */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 16);
}
