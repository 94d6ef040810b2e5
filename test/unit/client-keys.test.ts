import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseClientPrivateKey } from '../../src/service-clients/private-key.js';
import { canonicalKeyText, keyFingerprint, parseClientPublicKey, PRIVATE_KEY_REFUSED } from '../../src/service-clients/public-key.js';
import { clientKeyPair } from '../fixtures/client-keys.js';

const rsa = clientKeyPair('RS256');
const ec = clientKeyPair('ES256');
const ed = clientKeyPair('EdDSA');
const jwkOf = (pem: string) => JSON.stringify(createPublicKey(pem).export({ format: 'jwk' }));
const spki = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => key.export({ type: 'spki', format: 'pem' }).toString();

describe('registering a client public key', () => {
  it.each([
    ['an RSA 2048 SPKI PEM', rsa.publicPem, 'RS256', 'pem'],
    ['a P-256 SPKI PEM', ec.publicPem, 'ES256', 'pem'],
    ['an Ed25519 SPKI PEM', ed.publicPem, 'EdDSA', 'pem'],
    ['an RSA 4096 SPKI PEM', spki(generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey), 'RS256', 'pem'],
    ['an RSA public JWK', jwkOf(rsa.publicPem), 'RS256', 'jwk'],
    [
      'a P-256 public JWK with a matching alg, a kid and use "sig"',
      JSON.stringify({ ...JSON.parse(jwkOf(ec.publicPem)), alg: 'ES256', kid: 'k1', use: 'sig' }),
      'ES256',
      'jwk',
    ],
    ['an Ed25519 public JWK', jwkOf(ed.publicPem), 'EdDSA', 'jwk'],
    ['a PEM with comment lines around it', `# billing, made 2030-01-01\n${ec.publicPem}\n`, 'ES256', 'pem'],
  ])('accepts %s, and the key type fixes the algorithm', (_case, text, alg, format) => {
    const parsed = parseClientPublicKey(text);
    expect(parsed).toMatchObject({ ok: true, value: { alg, format } });
  });

  const rsaPkcs1Public = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const privateJwk = JSON.stringify(rsa.privateKey.export({ format: 'jwk' }));
  it.each([
    ['a PKCS#8 private key', rsa.privatePem, /private key/],
    ['a PKCS#1 RSA private key', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), /private key/],
    ['a SEC1 EC private key', ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), /private key/],
    ['a public key with its private key after it', `${rsa.publicPem}${rsa.privatePem}`, /private key/],
    ['a private JWK', privateJwk, /private key/],
    ['a shared secret (kty oct)', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' }), /shared secret/],
    ['a JWK set', JSON.stringify({ keys: [JSON.parse(jwkOf(ec.publicPem))] }), /JWK set/],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', /certificate/],
    ['a PKCS#1 RSA public key', rsaPkcs1Public, /SPKI/],
    ['two public keys', `${ec.publicPem}${ed.publicPem}`, /2 PEM blocks/],
    ['an RSA key of 1024 bits', spki(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), /1024 bits/],
    ['a P-384 key', spki(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), /secp384r1/],
    ['a secp256k1 key', spki(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey), /secp256k1/],
    ['an Ed448 key', spki(generateKeyPairSync('ed448').publicKey), /ed448/],
    ['an X25519 key', spki(generateKeyPairSync('x25519').publicKey), /x25519/],
    ['an RSA-PSS key', spki(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey), /RSA-PSS/],
    ["a JWK whose alg is not the key's", JSON.stringify({ ...JSON.parse(jwkOf(rsa.publicPem)), alg: 'HS256' }), /"alg" says "HS256"/],
    ['a JWK for encryption', JSON.stringify({ ...JSON.parse(jwkOf(ec.publicPem)), use: 'enc' }), /"use"/],
    ['a JWK of an unknown type', JSON.stringify({ kty: 'XYZ', x: 'abc' }), /"kty"/],
    ['a JWK with a member missing', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'abc' }), /"y" is missing/],
    ['broken JSON', '{"kty": "EC",', /not valid JSON/],
    ['a PEM block that is not a key', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n', /not a valid PEM public key/],
    ['text that is no key at all', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI billing@host', /neither/],
  ])('refuses %s with a reason', (_case, text, reason) => {
    const parsed = parseClientPublicKey(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('never quotes key material in a reason', () => {
    const secretPart = (JSON.parse(privateJwk) as { d: string }).d;
    for (const text of [rsa.privatePem, privateJwk, `${privateJwk.slice(0, -1)},`]) {
      const parsed = parseClientPublicKey(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.reason).not.toContain(secretPart.slice(0, 12));
        expect(parsed.reason).not.toContain(rsa.privatePem.split('\n')[1]!.slice(0, 12));
      }
    }
    expect(PRIVATE_KEY_REFUSED).toContain('pubout');
  });

  it.each([
    ['PEM', rsa.publicPem],
    ['JWK', jwkOf(ed.publicPem)],
  ])('writes a %s key back in a canonical form that reads as the same key', (_case, text) => {
    const first = parseClientPublicKey(text);
    if (!first.ok) return expect.unreachable(first.reason);
    const again = parseClientPublicKey(canonicalKeyText(first.value));
    if (!again.ok) return expect.unreachable(again.reason);
    expect(again.value.alg).toBe(first.value.alg);
    expect(keyFingerprint(again.value.key)).toBe(keyFingerprint(first.value.key));
    expect(canonicalKeyText(again.value)).toBe(canonicalKeyText(first.value));
  });
});

describe('reading the private key a client signs with', () => {
  it.each([
    ['a PKCS#8 RSA key', rsa.privatePem, 'RS256'],
    ['a PKCS#1 RSA key (openssl genrsa of OpenSSL 1.x)', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'RS256'],
    ['a SEC1 EC key (openssl ecparam -genkey)', ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), 'ES256'],
    ['a PKCS#8 Ed25519 key', ed.privatePem, 'EdDSA'],
    ['a private JWK', JSON.stringify(ec.privateKey.export({ format: 'jwk' })), 'ES256'],
  ])('reads %s', (_case, text, alg) => {
    expect(parseClientPrivateKey(text)).toMatchObject({ ok: true, alg });
  });

  it.each([
    ['a public key', rsa.publicPem, /no private key/],
    ['a public JWK', jwkOf(ec.publicPem), /no private key/],
    ['an encrypted key', rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(), /encrypted/],
    ['a shared secret', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), /shared secret/],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /P-256/],
    ['broken PEM', '-----BEGIN PRIVATE KEY-----\nbm90\n-----END PRIVATE KEY-----\n', /not a valid PEM private key/],
  ])('refuses %s', (_case, text, reason) => {
    const parsed = parseClientPrivateKey(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
