import { randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientAlg } from './key-type.js';

export interface ClientTokenOptions {
  /** The client's private key. */
  key: KeyObject;
  /** The algorithm the key signs with (`clientAlgOf`). */
  alg: ClientAlg;
  /** The client's registered name: the `username` claim. */
  name: string;
  /** Unix seconds; now by default. */
  nowS?: number;
  /** Fresh and random by default. */
  nonce?: string;
}

/** 128 random bits, base64url: never the same twice, so a token is used once. */
export const newNonce = (): string => randomBytes(16).toString('base64url');

/** A token as seeds/004's clients sign it (`username`, `time`, `nonce`), for `Authorization: JWT <token>`. */
export function signClientToken(opts: ClientTokenOptions): Promise<string> {
  const time = opts.nowS ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ username: opts.name, time, nonce: opts.nonce ?? newNonce() }).setProtectedHeader({ alg: opts.alg, typ: 'JWT' }).sign(opts.key);
}
