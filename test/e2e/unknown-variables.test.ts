import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRY } from '../../scripts/stack/paths.js';
import { testPort } from '../fixtures/ports.js';
import { UNKNOWN_VARIABLE_MESSAGE } from '../../src/config/log-warnings.js';
import { spawnSigner, type SignerProcess } from '../fixtures/cluster-signer.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';

// The real built signer, started with misspelt settings: it warns at start and serves, or, with
// STRICT_CONFIG=true, exits 2. The misspelt JWT_SECRETT holds a secret: it must never be printed.

const SECRET_VALUE = 'misspelt-secret-value-0123456789abcdef';
const MISSPELT = { REDIS_FAIL_OPEN: 'true', JWT_SECRETT: SECRET_VALUE };

const dirs: string[] = [];
const started: SignerProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    await s.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory and port for one signer: its secret, keys and clients live in the directory. */
async function place(more: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-unknown-'));
  dirs.push(dir);
  const port = await testPort();
  return {
    dir,
    env: {
      SIGNER_PORT: String(port),
      JWT_SECRET_FILE: join(dir, 'jwt-secret'),
      KEYS_DIR: join(dir, 'keys'),
      CLIENTS_DIR: join(dir, 'clients'),
      KEYS_CHECK_INTERVAL_S: '0',
      ...more,
    },
  };
}

const warned = (s: SignerProcess) => s.lines().filter((l) => l.msg === UNKNOWN_VARIABLE_MESSAGE);

describe('the signer started with misspelt settings', () => {
  it('logs one warning per variable, naming the setting probably meant, and starts as usual', async () => {
    const { dir, env } = await place(MISSPELT);
    const signer = spawnSigner(dir, env);
    started.push(signer);
    await signer.waitForLine((l) => l.msg === 'signer listening');
    expect(warned(signer).map((l) => [l.level, l.variable, l.suggestion])).toEqual([
      [40, 'JWT_SECRETT', 'JWT_SECRET'],
      [40, 'REDIS_FAIL_OPEN', 'STORE_FAIL_OPEN'],
    ]);
    expect(signer.output()).not.toContain(SECRET_VALUE);
  });

  it('exits 2 with STRICT_CONFIG=true, every unknown variable on stderr and no value', async () => {
    const { dir, env } = await place({ ...MISSPELT, STRICT_CONFIG: 'true' });
    const res = spawnSync(process.execPath, [ENTRY.signer], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 15_000 });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/^tokengate: invalid configuration:$/m);
    expect(res.stderr).toMatch(/^ {2}- REDIS_FAIL_OPEN: not a tokengate variable .*; did you mean STORE_FAIL_OPEN\?$/m);
    expect(res.stderr).toMatch(/^ {2}- JWT_SECRETT: .*; did you mean JWT_SECRET\?$/m);
    expect(res.stdout + res.stderr).not.toContain(SECRET_VALUE);
  });

  describe.runIf(redisAvailable())('with SIGNER_WORKERS=2', () => {
    const redis = useTestRedis();

    it('warns once, from the primary, not from each worker', async () => {
      const { dir, env } = await place({ ...MISSPELT, SIGNER_WORKERS: '2', REDIS_URL: redis().url });
      const signer = spawnSigner(dir, env);
      started.push(signer);
      await signer.waitForLine((l) => l.msg === 'signer workers listening');
      for (const id of [1, 2]) await signer.waitForLine((l) => l.worker === id && l.msg === 'signer listening');
      expect(warned(signer).map((l) => [l.role, l.variable])).toEqual([
        ['primary', 'JWT_SECRETT'],
        ['primary', 'REDIS_FAIL_OPEN'],
      ]);
      expect(signer.output()).not.toContain(SECRET_VALUE);
    });
  });
});
