import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/config/load.js';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };

describe('SIGNER_WORKERS', () => {
  it('is 1 by default: one process, no cluster, no Redis needed', () => {
    const result = parseConfig({});
    expect(result.ok && result.config.SIGNER_WORKERS).toBe(1);
  });

  it.each([
    ['1', {}, 1],
    ['2', REDIS, 2],
    ['64', REDIS, 64],
  ] as const)('takes %s', (value, env, expected) => {
    const result = parseConfig({ ...env, SIGNER_WORKERS: value });
    expect(result.ok && result.config.SIGNER_WORKERS).toBe(expected);
  });

  it('takes auto as one worker per CPU', () => {
    const result = parseConfig({ ...REDIS, SIGNER_WORKERS: 'auto' });
    expect(result.ok && result.config.SIGNER_WORKERS).toBe(Math.min(availableParallelism(), 64));
  });

  it.each(['0', '65', '-1', '1.5', 'two', 'AUTO', ' 2'])('refuses %j, naming SIGNER_WORKERS', (value) => {
    const result = parseConfig({ ...REDIS, SIGNER_WORKERS: value });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['SIGNER_WORKERS']);
  });

  it('above 1 requires REDIS_URL: a problem naming both, reported with the others', () => {
    const result = parseConfig({ SIGNER_WORKERS: '2', TOKEN_TTL_S: 'soon' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.variable).sort()).toEqual(['SIGNER_WORKERS', 'TOKEN_TTL_S']);
    expect(formatProblems(result.problems)).toMatch(/^ {2}- SIGNER_WORKERS: .*REDIS_URL/m);
  });

  it('reports only the bad REDIS_URL when that is what is wrong', () => {
    const result = parseConfig({ SIGNER_WORKERS: '2', REDIS_URL: 'http://nope' });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['REDIS_URL']);
  });
});
