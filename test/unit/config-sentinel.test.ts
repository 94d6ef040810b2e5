import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/config/load.js';
import { replicationOf, sentinelTarget } from '../../src/config/redis-settings.js';

const SENTINELS = { REDIS_SENTINELS: '10.0.0.5:26379, 10.0.0.6:26379,sentinel-3.internal:26380', REDIS_SENTINEL_MASTER: 'tokengate' };

const problemsOf = (env: Record<string, string>) => {
  const result = parseConfig(env);
  return result.ok ? [] : result.problems;
};

describe('REDIS_SENTINELS and REDIS_SENTINEL_MASTER', () => {
  it('reads the sentinels, the master name, their credentials and TLS into the store target', () => {
    const result = parseConfig({
      ...SENTINELS,
      REDIS_SENTINEL_PASSWORD: 's3ntinel',
      REDIS_USERNAME: 'tokengate',
      REDIS_PASSWORD: 'n0de-pass',
      REDIS_SENTINEL_TLS: 'true',
    });
    if (!result.ok) expect.unreachable(formatProblems(result.problems));
    expect(sentinelTarget(result.config)).toEqual({
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '10.0.0.6', port: 26379 },
        { host: 'sentinel-3.internal', port: 26380 },
      ],
      masterName: 'tokengate',
      sentinelAuth: { username: undefined, password: 's3ntinel' },
      nodeAuth: { username: 'tokengate', password: 'n0de-pass' },
      tls: true,
    });
  });

  it('takes an IPv6 sentinel in brackets', () => {
    const result = parseConfig({ REDIS_SENTINELS: '[::1]:26379,[fd00::5]:26379', REDIS_SENTINEL_MASTER: 'm' });
    expect(result.ok && result.config.REDIS_SENTINELS).toEqual([
      { host: '::1', port: 26379 },
      { host: 'fd00::5', port: 26379 },
    ]);
  });

  it.each([
    ['10.0.0.5', 'is not host:port'],
    ['10.0.0.5:0', 'the port must be between 1 and 65535'],
    ['10.0.0.5:70000', 'the port must be between 1 and 65535'],
    ['::1:26379', 'is not host:port'],
    ['[10.0.0.5]:26379', 'is not an IPv6 address'],
    ['bad_host:26379', 'is not a host name'],
    ['10.0.0.5:26379,10.0.0.5:26379', 'is listed twice'],
    [',', 'at least one sentinel'],
  ])('refuses %j: %s', (list, message) => {
    const problems = problemsOf({ REDIS_SENTINELS: list, REDIS_SENTINEL_MASTER: 'm' });
    expect(problems.map((p) => p.variable)).toEqual(['REDIS_SENTINELS']);
    expect(problems[0]!.message).toContain(message);
  });

  it('reports every bad sentinel of a list at once', () => {
    const [problem] = problemsOf({ REDIS_SENTINELS: 'a:1,b,c:99999', REDIS_SENTINEL_MASTER: 'm' });
    expect(problem!.message).toMatch(/^b is not host:port.*; c:99999: the port must be/);
  });

  it('refuses REDIS_SENTINELS beside REDIS_URL: one or the other', () => {
    const problems = problemsOf({ ...SENTINELS, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(problems.map((p) => p.variable)).toEqual(['REDIS_SENTINELS']);
    expect(problems[0]!.message).toMatch(/not both/);
  });

  it('requires REDIS_SENTINEL_MASTER with REDIS_SENTINELS', () => {
    expect(problemsOf({ REDIS_SENTINELS: '10.0.0.5:26379' }).map((p) => p.variable)).toEqual(['REDIS_SENTINEL_MASTER']);
  });

  it.each(['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'])('refuses %s without REDIS_SENTINELS, naming it', (name) => {
    const problems = problemsOf({ [name]: 'x' });
    expect(problems.map((p) => p.variable)).toEqual([name]);
    expect(problems[0]!.message).toMatch(/only used with REDIS_SENTINELS/);
  });

  it('points REDIS_PASSWORD beside REDIS_URL at the URL, and REDIS_SENTINEL_TLS at rediss://', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PASSWORD: 'x', REDIS_SENTINEL_TLS: 'true' });
    expect(formatProblems(problems)).toMatch(/REDIS_PASSWORD: .*put the user name and password in the URL/);
    expect(formatProblems(problems)).toMatch(/REDIS_SENTINEL_TLS: .*use rediss:\/\//);
  });

  it('refuses a user name without its password', () => {
    const problems = problemsOf({ ...SENTINELS, REDIS_USERNAME: 'tokengate', REDIS_SENTINEL_USERNAME: 'watcher' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['REDIS_SENTINEL_USERNAME', 'REDIS_USERNAME']);
  });

  it('never echoes a password back', () => {
    const text = formatProblems(problemsOf({ ...SENTINELS, REDIS_PASSWORD: 'has space', REDIS_SENTINEL_PASSWORD: 'also has space' }));
    expect(text).toMatch(/REDIS_PASSWORD: must be printable ASCII without spaces$/m);
    expect(text).not.toContain('has space');
  });

  it('lets several workers share the sentinels instead of REDIS_URL', () => {
    expect(problemsOf({ ...SENTINELS, SIGNER_WORKERS: '2' })).toEqual([]);
  });
});

describe('REDIS_WAIT_* and STORE_MAX_STALE_S', () => {
  const config = (env: Record<string, string>) => {
    const result = parseConfig(env);
    if (!result.ok) expect.unreachable(formatProblems(result.problems));
    return result.config;
  };

  it('waits for one replica through sentinels and none with REDIS_URL by default, 500 ms, failing the write', () => {
    expect(replicationOf(config(SENTINELS))).toEqual({ replicas: 1, timeoutMs: 500, unmet: 'fail' });
    expect(replicationOf(config({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual({ replicas: 0, timeoutMs: 500, unmet: 'fail' });
  });

  it('takes a number of replicas, a timeout and accept', () => {
    expect(replicationOf(config({ ...SENTINELS, REDIS_WAIT_REPLICAS: '2', REDIS_WAIT_MS: '50', REDIS_WAIT_UNMET: 'accept' }))).toEqual({
      replicas: 2,
      timeoutMs: 50,
      unmet: 'accept',
    });
    expect(replicationOf(config({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_WAIT_REPLICAS: '1' })).replicas).toBe(1);
  });

  it.each([
    ['REDIS_WAIT_REPLICAS', '17'],
    ['REDIS_WAIT_REPLICAS', 'one'],
    ['REDIS_WAIT_MS', '5'],
    ['REDIS_WAIT_UNMET', 'ignore'],
    ['STORE_MAX_STALE_S', '301'],
  ])('refuses %s=%s', (name, value) => {
    expect(problemsOf({ ...SENTINELS, [name]: value }).map((p) => p.variable)).toEqual([name]);
  });

  it('keeps answering from the revocation list for 10 s by default, 0 failing closed at once', () => {
    expect(config({}).STORE_MAX_STALE_S).toBe(10);
    expect(config({ STORE_MAX_STALE_S: '0' }).STORE_MAX_STALE_S).toBe(0);
  });
});
