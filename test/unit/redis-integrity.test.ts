import { describe, expect, it } from 'vitest';
import { SessionIntegrity } from '../../src/store/session-integrity.js';

const KEY = new Uint8Array(32).fill(3);
const CLAIMS = JSON.stringify({ sub: 'alice', roles: ['user'] });

describe('the MAC stored with a session', () => {
  const integrity = new SessionIntegrity(KEY);
  const mac = integrity.seal('sid-1', '1900000000', CLAIMS);

  it('holds for the fields it was made for', () => {
    expect(integrity.verify('sid-1', '1900000000', CLAIMS, mac)).toBe(true);
  });

  it.each([
    ['other claims', 'sid-1', '1900000000', JSON.stringify({ sub: 'alice', roles: ['admin'] }), mac],
    ['a later end', 'sid-1', '1900000001', CLAIMS, mac],
    ['another session', 'sid-2', '1900000000', CLAIMS, mac],
    ['a field boundary moved', 'sid-11900000000', '', CLAIMS, mac],
    ['another MAC', 'sid-1', '1900000000', CLAIMS, integrity.seal('sid-1', '1900000000', '{}')],
    ['a truncated MAC', 'sid-1', '1900000000', CLAIMS, mac.slice(0, -1)],
    ['no MAC', 'sid-1', '1900000000', CLAIMS, null],
    ['an empty MAC', 'sid-1', '1900000000', CLAIMS, ''],
  ])('fails for %s', (_case, sid, end, claims, presented) => {
    expect(integrity.verify(sid, end, claims, presented)).toBe(false);
  });

  it('fails under another key: instances must share one', () => {
    expect(new SessionIntegrity(new Uint8Array(32).fill(4)).verify('sid-1', '1900000000', CLAIMS, mac)).toBe(false);
  });

  it('copies its key, so a caller that zeroes or reuses the array changes nothing', () => {
    const key = new Uint8Array(32).fill(3);
    const own = new SessionIntegrity(key);
    key.fill(0);
    expect(own.verify('sid-1', '1900000000', CLAIMS, mac)).toBe(true);
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new SessionIntegrity(new Uint8Array(16))).toThrow(TypeError);
  });
});
