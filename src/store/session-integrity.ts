import { createHmac, timingSafeEqual } from 'node:crypto';

/** Long enough for HMAC-SHA256 to be as strong as its output. */
const MIN_KEY_BYTES = 32;

/**
 * Keyed hashing for what the Redis store writes, with a key Redis never sees (derived from the
 * signing secret): a MAC over each session's claims, so that someone who can write to Redis
 * cannot have the signer sign claims of their choosing, and the names of the per-user indexes,
 * so a key cannot be traced back to its user by hashing guessed `sub`s.
 */
export class SessionIntegrity {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.byteLength < MIN_KEY_BYTES) throw new TypeError(`the Redis store's integrityKey must be at least ${MIN_KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  /** The MAC stored beside a session: over its id, its end and its claims JSON, all exactly as stored. */
  seal(sid: string, end: string, claims: string): string {
    return this.mac(['tokengate session v1', sid, end, claims]);
  }

  /** Whether `mac` is what `seal` gives for these fields, compared in constant time; false when absent. */
  verify(sid: string, end: string, claims: string, mac: string | null): boolean {
    if (mac === null) return false;
    const expected = Buffer.from(this.seal(sid, end, claims));
    const presented = Buffer.from(mac);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  /** What names a user's session index: keyed, and no longer than it needs to be. */
  userIndex(sub: string): string {
    return this.mac(['tokengate user index v1', sub]).slice(0, 32);
  }

  /** A JSON array of strings encodes each field unambiguously, so no two inputs share a MAC input. */
  private mac(fields: string[]): string {
    return createHmac('sha256', this.key).update(JSON.stringify(fields)).digest('base64url');
  }
}
