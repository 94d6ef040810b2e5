import type { JWK } from 'jose';
import { z } from 'zod';
import { isKeyAlg, KEY_ALGS, type KeyAlg } from './algorithms.js';
import { parseJsonObject, readSmallFile } from './small-file.js';

/** A JWK of an RSA 8192 key is about 6 KiB; anything far larger is not a key file. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;
export const MIN_RSA_BITS = 2048;
export const MIN_OCT_BYTES = 32;

/** A key file that passed every check: only the members its key type defines are kept. */
export interface ValidKey {
  kid: string;
  alg: KeyAlg;
  /** The private JWK (no `kid`, `alg`, `use`, `ext` or `key_ops`). */
  jwk: JWK;
}

/** `missing`: the file does not exist (any more), which a directory listing of a moment ago cannot tell. */
export type KeyFileResult = { ok: true; key: ValidKey; mode: number } | { ok: false; reason: string; missing?: true };

const B64U = /^[A-Za-z0-9_-]+$/;
const member = (name: string) => z.string({ error: `"${name}" is missing or not a string` }).regex(B64U, `"${name}" is not base64url`);
const privateMember = (name: string) =>
  z.string({ error: `the private member "${name}" is missing: a key file must hold the private key` }).regex(B64U, `"${name}" is not base64url`);
const kty = (value: string, alg: KeyAlg) => z.literal(value, { error: `kty must be "${value}" for ${alg}` });
const crv = (value: string, alg: KeyAlg) => z.literal(value, { error: `crv must be "${value}" for ${alg}` });

/** What each algorithm's key must look like; zod's default `z.object` drops every other member. */
const KEY_SCHEMAS = {
  HS256: z.object({ kty: kty('oct', 'HS256'), k: privateMember('k') }),
  RS256: z.object({
    kty: kty('RSA', 'RS256'),
    n: member('n'),
    e: member('e'),
    d: privateMember('d'),
    p: privateMember('p'),
    q: privateMember('q'),
    dp: privateMember('dp'),
    dq: privateMember('dq'),
    qi: privateMember('qi'),
  }),
  ES256: z.object({ kty: kty('EC', 'ES256'), crv: crv('P-256', 'ES256'), x: member('x'), y: member('y'), d: privateMember('d') }),
  EdDSA: z.object({ kty: kty('OKP', 'EdDSA'), crv: crv('Ed25519', 'EdDSA'), x: member('x'), d: privateMember('d') }),
} satisfies Record<KeyAlg, z.ZodType>;

/** The members a verifier may see, by key type; everything else (`d`, `p`, `k`, ...) stays private. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'], OKP: ['kty', 'crv', 'x'] };

/** The public JWK of a key (with `kid`, `alg`, `use: sig`), or undefined for a shared secret. */
export function publicJwk(key: ValidKey): JWK | undefined {
  const names = PUBLIC_MEMBERS[key.jwk.kty ?? ''];
  if (!names) return undefined;
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = (key.jwk as Record<string, unknown>)[name];
  return { ...out, kid: key.kid, alg: key.alg, use: 'sig' } as JWK;
}

/** Checks a key file's text; every reason names the member at fault, never its value. */
export function parseKeyFile(text: string, expectedKid: string): { ok: true; key: ValidKey } | { ok: false; reason: string } {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const obj = json.obj;
  if (typeof obj.kid !== 'string') return { ok: false, reason: '"kid" is missing or not a string' };
  if (obj.kid !== expectedKid) return { ok: false, reason: `"kid" does not match the file name (expected "${expectedKid}")` };
  if (!isKeyAlg(obj.alg)) return { ok: false, reason: `"alg" must be one of ${KEY_ALGS.join(', ')}` };
  if (obj.use !== undefined && obj.use !== 'sig') return { ok: false, reason: '"use" must be "sig" when present' };
  const alg = obj.alg;
  const parsed = KEY_SCHEMAS[alg].safeParse(obj);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => i.message).join(', ') };
  const jwk = parsed.data as JWK;
  const size = sizeProblem(alg, jwk);
  if (size) return { ok: false, reason: size };
  return { ok: true, key: { kid: expectedKid, alg, jwk } };
}

function sizeProblem(alg: KeyAlg, jwk: JWK): string | undefined {
  if (alg === 'RS256') {
    const bits = bitLength(Buffer.from(jwk.n ?? '', 'base64url'));
    if (bits < MIN_RSA_BITS) return `the RSA key has ${bits} bits; RS256 needs at least ${MIN_RSA_BITS}`;
  }
  if (alg === 'HS256') {
    const bytes = Buffer.from(jwk.k ?? '', 'base64url').length;
    if (bytes < MIN_OCT_BYTES) return `the HS256 secret has ${bytes} bytes; it needs at least ${MIN_OCT_BYTES}`;
  }
  return undefined;
}

function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + bytes[i]!.toString(2).length;
}

/** Reads and checks one key file (symlinks followed, as Kubernetes mounts secrets). */
export async function readKeyFile(path: string, expectedKid: string): Promise<KeyFileResult> {
  const file = await readSmallFile(path, MAX_KEY_FILE_BYTES);
  if (!file.ok) return file;
  const parsed = parseKeyFile(file.text, expectedKid);
  return parsed.ok ? { ...parsed, mode: file.mode } : parsed;
}
