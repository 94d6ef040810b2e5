import { createHmac } from 'node:crypto';
import { isIPv4 } from 'node:net';

/**
 * Limiter keys: `login:user:<h>` for a username at an address and `login:addr:<h>` for an
 * address, `<h>` the first 128 bits of an HMAC-SHA256 in hex, keyed with `hashKey` (derived
 * from the signing secret, so every instance agrees). So a key never holds a username or an
 * address, its length is fixed whatever the client sent, and reading Redis does not give the
 * addresses back (all 2^32 IPv4 addresses could be tried against a plain hash in minutes).
 * (The store adds KEY_PREFIX.)
 */
export function userKey(hashKey: Uint8Array, username: string, address: string): string {
  return `login:user:${digest(hashKey, `${normalizeUsername(username)}\n${addressBucket(address)}`)}`;
}

/** The per-address key. */
export function addressKey(hashKey: Uint8Array, address: string): string {
  return `login:addr:${digest(hashKey, addressBucket(address))}`;
}

/**
 * One counter per person, however they spell their name: NFKC, trimmed, lowercased, so
 * `Alice`, ` alice` and `ａｌｉｃｅ` share it. An app that tells them apart only gets a
 * stricter limit, never a looser one.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/**
 * What one client is counted as: an IPv4 address, or the /64 of an IPv6 one. A single IPv6
 * subscriber usually holds a whole /64, so counting each address would let one person
 * rotate through 2^64 of them. `address` is canonical (see `canonicalIp`).
 */
export function addressBucket(address: string): string {
  if (isIPv4(address) || !address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function digest(hashKey: Uint8Array, text: string): string {
  return createHmac('sha256', hashKey).update(text).digest('hex').slice(0, 32);
}
