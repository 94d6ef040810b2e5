import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REVOCATION_MARGIN_S } from '../../src/store/memory.js';
import { KEYS, member, parseMessage, parseRevocation, subjectMember } from '../../src/store/redis-keys.js';
import { RevocationMirror } from '../../src/store/revocation-mirror.js';
import { SessionIntegrity } from '../../src/store/session-integrity.js';

const T = 1_900_000_000;

describe('revocation messages and members', () => {
  it('reads what the revoking script publishes', () => {
    expect(parseMessage(`${T} ${member('t', 'abc')}`)).toEqual({ kind: 't', id: 'abc', untilS: T });
    expect(parseMessage(`${T} ${member('s', 'x:y z')}`)).toEqual({ kind: 's', id: 'x:y z', untilS: T });
  });

  it("reads a user's revocation: its not-before second and a sub that may hold colons and spaces", () => {
    expect(parseMessage(`${T} ${subjectMember('bob', T - 5)}`)).toEqual({ kind: 'u', id: 'bob', untilS: T, notBeforeS: T - 5 });
    expect(parseRevocation(subjectMember('urn:x y:1', 42), T)).toEqual({ kind: 'u', id: 'urn:x y:1', untilS: T, notBeforeS: 42 });
  });

  it.each([
    ['a user without a not-before second', `${T} u::bob`],
    ['a user with a not-before that is not a number', `${T} u:soon:bob`],
    ['a user without a sub', `${T} u:42:`],
    ['no deadline', 't:abc'],
    ['a deadline that is not a number', 'soon t:abc'],
    ['an unknown kind', `${T} q:abc`],
    ['no member', `${T} `],
    ['an empty message', ''],
    ['a leading space', ` t:abc`],
  ])('ignores a message with %s', (_case, message) => {
    expect(parseMessage(message)).toBeUndefined();
  });

  it('ignores a set member this version did not write', () => {
    expect(parseRevocation('x:abc', T)).toBeUndefined();
    expect(parseRevocation('t:abc', Number.NaN)).toBeUndefined();
  });

  it("names a user's session index by a keyed hash, never by the identity itself", () => {
    const integrity = new SessionIntegrity(new Uint8Array(32).fill(1));
    const key = KEYS.user(integrity.userIndex('alice@example.org'));
    expect(key).toMatch(/^user:[\w-]{32}$/);
    expect(key).not.toContain('alice');
    expect(KEYS.user(integrity.userIndex('alice@example.org'))).toBe(key);
    expect(KEYS.user(integrity.userIndex('bob@example.org'))).not.toBe(key);
    // Keyed: whoever lacks the key cannot confirm a guessed sub by hashing it.
    const plain = createHash('sha256').update('alice@example.org').digest();
    expect(key).not.toContain(plain.toString('hex').slice(0, 32));
    expect(key).not.toContain(plain.toString('base64url').slice(0, 32));
    expect(KEYS.user(new SessionIntegrity(new Uint8Array(32).fill(2)).userIndex('alice@example.org'))).not.toBe(key);
  });
});

describe('the revocation mirror', () => {
  it('refuses through untilS inclusive, and keeps token ids and session ids apart', () => {
    const mirror = new RevocationMirror();
    mirror.apply({ kind: 't', id: 'same', untilS: T });
    expect(mirror.isRevoked('same', undefined, T)).toBe(true);
    expect(mirror.isRevoked('same', undefined, T + 1)).toBe(false);
    expect(mirror.isRevoked(undefined, 'same', T)).toBe(false);
    mirror.apply({ kind: 's', id: 'sid', untilS: T });
    expect(mirror.isRevoked('other', 'sid', T)).toBe(true);
    expect(mirror.isRevoked(undefined, undefined, T)).toBe(false);
  });

  it('keeps the later deadline whatever order the news arrives in', () => {
    const mirror = new RevocationMirror();
    mirror.apply({ kind: 't', id: 'jti', untilS: T + 600 });
    mirror.apply({ kind: 't', id: 'jti', untilS: T + 60 });
    expect(mirror.isRevoked('jti', undefined, T + 600)).toBe(true);
  });

  it('forgets an entry REVOCATION_MARGIN_S after its deadline, keeping the rest', () => {
    const mirror = new RevocationMirror();
    mirror.apply({ kind: 't', id: 'short', untilS: T });
    mirror.apply({ kind: 's', id: 'long', untilS: T + 600 });
    mirror.sweep(T + REVOCATION_MARGIN_S);
    expect(mirror.size).toBe(2);
    mirror.sweep(T + REVOCATION_MARGIN_S + 1);
    expect(mirror.size).toBe(1);
    expect(mirror.isRevoked(undefined, 'long', T + 600)).toBe(true);
    mirror.sweep(T + 601 + REVOCATION_MARGIN_S);
    expect(mirror.size).toBe(0);
  });
});
