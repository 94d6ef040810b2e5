import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

describe('the cache settings', () => {
  it('default to a token cache of 10000 and no nginx auth cache', () => {
    const result = parseConfig({});
    expect(result.ok && [result.config.VERIFY_CACHE_SIZE, result.config.AUTH_CACHE_TTL_S]).toEqual([10_000, 0]);
  });

  it.each(['0', '2', '3600'])('take AUTH_CACHE_TTL_S=%s', (value) => {
    const result = parseConfig({ AUTH_CACHE_TTL_S: value });
    expect(result.ok && result.config.AUTH_CACHE_TTL_S).toBe(Number(value));
  });

  it.each(['1', '3601', '-1', '1.5', 'on'])('refuse AUTH_CACHE_TTL_S=%j, naming it (nginx counts whole seconds: 1 would keep nothing)', (value) => {
    const result = parseConfig({ AUTH_CACHE_TTL_S: value });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['AUTH_CACHE_TTL_S']);
  });

  it.each(['-1', '1000001', 'lots'])('refuse VERIFY_CACHE_SIZE=%j, naming it', (value) => {
    const result = parseConfig({ VERIFY_CACHE_SIZE: value });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['VERIFY_CACHE_SIZE']);
  });
});
