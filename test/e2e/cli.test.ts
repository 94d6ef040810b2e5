import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/stack/paths.js';
import { mint } from '../fixtures/tokens.js';

// The real CLI, built, run as a process in a directory of its own with a clean environment.

const CLI = join(ROOT, 'dist/src/cli/main.js');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-cli-'));
  dirs.push(dir);
  return dir;
}

function run(args: string[], env: Record<string, string> = {}, cwd = workDir()) {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 15_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('tokengate (the CLI)', () => {
  it('lists its commands with --help and exits 0', () => {
    const res = run(['--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^usage: tokengate <command>/);
    expect(res.stdout).toContain('check-config');
    expect(res.stdout).toContain('decode <token>');
  });

  it.each([
    ['no command', [] as string[], /usage: tokengate/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['an argument check-config does not take', ['check-config', '--verbose'], /check-config: .*--verbose/],
    ['decode without a token', ['decode'], /give exactly one token/],
    ['decode with two tokens', ['decode', 'a.b.c', 'd.e.f'], /give exactly one token/],
  ])('refuses %s with a message on stderr and exit status 2', (_case, args, message) => {
    const res = run(args);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it('runs through npx, as the package bin', () => {
    const res = spawnSync('npx', ['--no', '--', 'tokengate', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^usage: tokengate <command>/m);
  });

  describe('check-config', () => {
    it('accepts the defaults, says the secret file comes at first start, and creates nothing', () => {
      const cwd = workDir();
      const res = run(['check-config'], {}, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^configuration OK/);
      expect(res.stdout).toMatch(/secrets\/jwt-secret does not exist yet/);
      expect(res.stdout).toContain('store:    in memory');
      expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    it('reads an existing secret file and warns when other users can read it', () => {
      const cwd = workDir();
      mkdirSync(join(cwd, 'secrets'));
      writeFileSync(join(cwd, 'secrets/jwt-secret'), `${'k'.repeat(43)}\n`);
      chmodSync(join(cwd, 'secrets/jwt-secret'), 0o644);
      const res = run(['check-config'], {}, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/secret: +secrets\/jwt-secret \(mode 644: readable by other users; chmod 600 it\)/);
      expect(res.stdout).not.toContain('kkkk');
    });

    it('names every wrong variable, exits 1, and never echoes a secret value', () => {
      const res = run(['check-config'], { JWT_SECRET: 'too-short-secret', SIGNER_PORT: '99999', TOKEN_TTL_S: 'soon' });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('invalid configuration');
      for (const variable of ['JWT_SECRET', 'SIGNER_PORT', 'TOKEN_TTL_S']) expect(res.stderr).toContain(`- ${variable}:`);
      expect(res.stderr + res.stdout).not.toContain('too-short-secret');
    });

    it('says a Redis store is configured without printing its URL, which may hold a password', () => {
      const res = run(['check-config'], { REDIS_URL: 'redis://:hunter2-password@redis.internal:6379', KEY_PREFIX: 'gw1:' });
      expect(res.status).toBe(0);
      expect(res.stdout).toContain('store:    Redis (REDIS_URL set), keys under "gw1:"');
      expect(res.stdout + res.stderr).not.toContain('hunter2');
      expect(res.stdout + res.stderr).not.toContain('redis.internal');
    });

    it('refuses a secret file that is too short, naming the file, not its content', () => {
      const cwd = workDir();
      mkdirSync(join(cwd, 'secrets'));
      writeFileSync(join(cwd, 'secrets/jwt-secret'), 'tiny-secret\n', { mode: 0o600 });
      const res = run(['check-config'], {}, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('JWT_SECRET_FILE');
      expect(res.stderr + res.stdout).not.toContain('tiny-secret');
    });
  });

  describe('decode', () => {
    it('prints the header and claims as JSON, and says on stderr that nothing was verified', async () => {
      const token = await mint({ sub: 'alice', roles: ['admin'] });
      const res = run(['decode', token]);
      expect(res.status).toBe(0);
      const printed = JSON.parse(res.stdout) as { header: Record<string, unknown>; claims: Record<string, unknown> };
      expect(printed.header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      expect(printed.claims).toMatchObject({ sub: 'alice', roles: ['admin'], iss: 'tokengate' });
      expect(res.stderr).toContain('NOT verified');
    });

    it('takes the token with a Bearer prefix, as copied from a header', async () => {
      const res = run(['decode', `Bearer ${await mint({ sub: 'bob' })}`]);
      expect(res.status).toBe(0);
      expect((JSON.parse(res.stdout) as { claims: { sub: string } }).claims.sub).toBe('bob');
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['a payload that is not JSON', `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('nope').toString('base64url')}.c2ln`],
      ['a token over 4096 characters', `a.${'b'.repeat(5000)}.c`],
    ])('says why %s is not a token and exits 1', (_case, token) => {
      const res = run(['decode', token]);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/tokengate decode: (not a JWT|the token is longer)/);
      expect(res.stdout).toBe('');
    });
  });
});
