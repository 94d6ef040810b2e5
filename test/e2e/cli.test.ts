import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/stack/paths.js';
import { KEY_ALGS, type KeyAlg } from '../../src/signing-keys/algorithms.js';
import { openKeys } from '../../src/signing-keys/open-keys.js';
import { importHmacKey } from '../../src/tokens/keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { createTokenVerifier } from '../../src/tokens/verify.js';
import { TEST_SECRET } from '../fixtures/config.js';
import { mint, rawSegments, tamper } from '../fixtures/tokens.js';
import { respellings } from '../fixtures/spellings.js';
import { runCli, useCliDirs } from '../fixtures/cli.js';

// The real CLI, built, run as a process in a directory of its own with a clean environment.

const KEYS = 'secrets/keys';
const HS = { JWT_SECRET: TEST_SECRET };
const workDir = useCliDirs('tokengate-cli-');

/** Everything the CLI printed, and every private value it could have leaked, checked together at the end. */
const printed: string[] = [];
const privateValues = new Set<string>([TEST_SECRET]);

/** Remembers the private members of every key in `cwd`'s ring (keys come and go, so before and after each run). */
function harvestPrivateValues(cwd: string): void {
  const dir = join(cwd, KEYS);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jwk.json'))) {
    let jwk: Record<string, unknown>;
    try {
      jwk = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // a file a test broke on purpose
    }
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) if (typeof jwk[member] === 'string') privateValues.add(jwk[member]);
  }
}

function run(args: string[], env: Record<string, string> = {}, cwd = workDir(), input?: string) {
  harvestPrivateValues(cwd);
  const res = runCli(args, { cwd, env, ...(input !== undefined ? { input } : {}) });
  harvestPrivateValues(cwd);
  printed.push(res.stdout, res.stderr);
  return res;
}

/** A directory whose ring holds `kid`, active, of `alg` (made with the CLI itself). */
function ringDir(alg: KeyAlg, kid = 'k1', env: Record<string, string> = {}): string {
  const cwd = workDir();
  expect(run(['keygen', '--alg', alg, '--kid', kid, '--activate'], { JWT_ALG: alg, ...env }, cwd).status).toBe(0);
  return cwd;
}

const keyFile = (cwd: string, kid: string) => join(cwd, KEYS, `${kid}.jwk.json`);
const activeKid = (cwd: string) => readFileSync(join(cwd, KEYS, 'active'), 'utf8').trim();
const mode = (path: string) => statSync(path).mode & 0o777;
const parseOutput = (stdout: string) => JSON.parse(stdout) as { header: Record<string, unknown>; claims: Record<string, unknown> };

/** Signs a token with a ring key straight from its file, as a signer of another time or place would. */
async function signWithRingKey(cwd: string, kid: string, claims: Record<string, unknown>): Promise<string> {
  const jwk = JSON.parse(readFileSync(keyFile(cwd, kid), 'utf8')) as JWK & { alg: string };
  const key = await importJWK(jwk, jwk.alg);
  return new SignJWT(claims).setProtectedHeader({ alg: jwk.alg, kid, typ: 'at+jwt' }).sign(key);
}

describe('tokengate (the CLI)', () => {
  it('lists its commands with --help and exits 0', () => {
    const res = run(['--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^usage: tokengate <command>/);
    for (const command of ['check-config', 'keys', 'keygen', 'rotate', 'retire <kid>', 'mint --sub', 'verify <token>', 'decode <token>'])
      expect(res.stdout).toContain(command);
  });

  it.each(['check-config', 'keys', 'keygen', 'rotate', 'retire', 'mint', 'verify', 'decode'])('explains %s with --help', (command) => {
    const res = run([command, '--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^usage: tokengate ${command}`));
  });

  it.each([
    ['no command', [] as string[], /usage: tokengate/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['an argument check-config does not take', ['check-config', '--verbose'], /check-config: .*--verbose/],
    ['decode without a token', ['decode'], /give the token, or - to read it from stdin/],
    ['decode with two tokens', ['decode', 'a.b.c', 'd.e.f'], /unexpected argument "d.e.f"/],
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

    it('says the store goes through Redis Sentinel, with the writes waiting for a replica, without printing a password', () => {
      const env = {
        REDIS_SENTINELS: '10.0.0.5:26379,10.0.0.6:26379,10.0.0.7:26379',
        REDIS_SENTINEL_MASTER: 'tg',
        REDIS_PASSWORD: 'hunter2-password',
        REDIS_SENTINEL_PASSWORD: 'hunter3-password',
      };
      const res = run(['check-config'], env);
      expect(res.status).toBe(0);
      expect(res.stdout).toContain(
        'store:    Redis through 3 sentinel(s), master "tg", keys under "tokengate:", writes wait for 1 replica(s) (fail after 500 ms)',
      );
      expect(res.stdout + res.stderr).not.toMatch(/hunter[23]/);
      const both = run(['check-config'], { ...env, REDIS_URL: 'redis://127.0.0.1:6379' });
      expect(both.status).toBe(1);
      expect(both.stderr).toMatch(/- REDIS_SENTINELS: .*not both/);
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

    it.each([
      ['the secret signs under HS256 without a ring', {}, undefined, /keys: +the secret signs \(HS256, no key ring in secrets\/keys\)/],
      [
        'an ES256 ring comes at first start',
        { JWT_ALG: 'ES256' },
        undefined,
        /keys: +no key ring in secrets\/keys yet; the signer generates an ES256 one at its first start/,
      ],
      ['a ring with its active key', { JWT_ALG: 'ES256' }, 'ES256' as const, /keys: +ring in secrets\/keys, active k1 \(ES256\), 1 key$/m],
      [
        'an HS256 ring before its first activation',
        {},
        'HS256' as const,
        /keys: +ring in secrets\/keys without an active key: the secret signs \(HS256, no kid\); 1 key, verifying only/,
      ],
    ])('reports the keys: %s', (_case, env, ringAlg, line) => {
      const cwd = workDir();
      if (ringAlg) expect(run(['keygen', '--alg', ringAlg, '--kid', 'k1', ...(ringAlg === 'HS256' ? [] : ['--activate'])], env, cwd).status).toBe(0);
      const res = run(['check-config'], env, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(line);
      // Reading the keys never generates a ring.
      if (!ringAlg) expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    it('refuses a broken key ring, listing every problem file by file', () => {
      const cwd = ringDir('ES256');
      writeFileSync(join(cwd, KEYS, 'bad.jwk.json'), '{ not json', { mode: 0o600 });
      writeFileSync(join(cwd, KEYS, 'k9.jwk.json'), JSON.stringify({ kid: 'other', alg: 'ES256' }), { mode: 0o600 });
      writeFileSync(join(cwd, KEYS, 'active'), 'gone\n');
      const res = run(['check-config'], { JWT_ALG: 'ES256' }, cwd);
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain('the key ring in secrets/keys cannot be used');
      for (const file of ['bad.jwk.json: is not valid JSON', 'k9.jwk.json: "kid" does not match', 'active: names kid "gone"'])
        expect(res.stderr).toContain(`- ${file}`);
    });
  });

  describe('keygen', () => {
    it.each(KEY_ALGS)('writes a %s key (0600, in a 0700 directory), prints only its kid, and leaves it inactive', (alg) => {
      const cwd = workDir();
      const res = run(['keygen', '--alg', alg], HS, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^[0-9]{8}-[0-9a-f]{8}\n$/);
      const kid = res.stdout.trim();
      expect(mode(join(cwd, KEYS))).toBe(0o700);
      expect(mode(keyFile(cwd, kid))).toBe(0o600);
      expect(JSON.parse(readFileSync(keyFile(cwd, kid), 'utf8'))).toMatchObject({ kid, alg, use: 'sig' });
      expect(existsSync(join(cwd, KEYS, 'active'))).toBe(false);
      expect(res.stderr).toContain(`it is not active`);
      expect(res.stderr).toContain(`tokengate rotate --kid ${kid}`);
    });

    it('takes JWT_ALG by default, and --activate makes the key active at once', () => {
      const cwd = workDir();
      const res = run(['keygen', '--kid', 'first', '--activate'], { JWT_ALG: 'EdDSA' }, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toBe('first\n');
      expect(JSON.parse(readFileSync(keyFile(cwd, 'first'), 'utf8'))).toMatchObject({ alg: 'EdDSA', crv: 'Ed25519' });
      expect(activeKid(cwd)).toBe('first');
      expect(res.stderr).toContain('made it active');
    });

    it.each([
      ['an unknown algorithm', ['--alg', 'HS512'], /--alg must be one of HS256, RS256, ES256, EdDSA/],
      ['a kid that climbs out of the directory', ['--kid', '../x'], /a kid is 1 to 64 letters/],
      ['an empty kid', ['--kid', ''], /a kid is 1 to 64 letters/],
      ['a kid of 65 characters', ['--kid', 'k'.repeat(65)], /a kid is 1 to 64 letters/],
      ['a positional argument', ['ES256'], /Unexpected argument 'ES256'/],
      ['an unknown option', ['--force'], /Unknown option '--force'/],
    ])('refuses %s with exit status 2 and writes nothing', (_case, args, message) => {
      const cwd = workDir();
      const res = run(['keygen', ...args], HS, cwd);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    it('refuses a kid that exists with exit status 1, leaving the key as it was', () => {
      const cwd = ringDir('ES256');
      const before = readFileSync(keyFile(cwd, 'k1'), 'utf8');
      const res = run(['keygen', '--alg', 'ES256', '--kid', 'k1'], {}, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('k1.jwk.json: a key with this kid already exists');
      expect(readFileSync(keyFile(cwd, 'k1'), 'utf8')).toBe(before);
    });
  });

  describe('rotate', () => {
    const env = { JWT_ALG: 'ES256' };

    it('with --kid activates a key added earlier, prints it, and names the previous one', () => {
      const cwd = ringDir('ES256');
      expect(run(['keygen', '--kid', 'k2'], env, cwd).status).toBe(0);
      const res = run(['rotate', '--kid', 'k2'], env, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toBe('k2\n');
      expect(res.stderr).toContain('active key: k1 -> k2');
      expect(res.stderr).toContain('tokengate retire k1 after');
      expect(activeKid(cwd)).toBe('k2');
      const keys = run(['keys'], env, cwd);
      expect(keys.status).toBe(0);
      expect(keys.stdout).toMatch(/^k1 +ES256 +0600 +verifies\nk2 +ES256 +0600 +active\n$/);
    });

    it('without --kid generates a key, waits --wait, then activates it', () => {
      const cwd = ringDir('ES256');
      const res = run(['rotate', '--wait', '0'], env, cwd);
      expect(res.status).toBe(0);
      const kid = res.stdout.trim();
      expect(kid).not.toBe('k1');
      expect(activeKid(cwd)).toBe(kid);
      expect(mode(keyFile(cwd, kid))).toBe(0o600);
      // A key activated as soon as it is written may be unknown to a signer or a JWKS cache: said, not hidden.
      expect(res.stderr).toContain('JWKS_MAX_AGE_S');
      expect(res.stderr).toContain('a signer that has not loaded it yet');
    });

    it('waits 2 x KEYS_CHECK_INTERVAL_S + 1 by default, with progress on stderr', () => {
      const cwd = ringDir('ES256');
      const started = Date.now();
      const res = run(['rotate'], { ...env, KEYS_CHECK_INTERVAL_S: '1' }, cwd);
      expect(res.status).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(res.stderr).toContain('waiting 3s so every signer loads it');
      expect(res.stderr).toContain('2s left');
      expect(activeKid(cwd)).toBe(res.stdout.trim());
    });

    it('explains the SIGHUP procedure instead of guessing when signers do not poll', () => {
      const cwd = ringDir('ES256');
      const res = run(['rotate'], { ...env, KEYS_CHECK_INTERVAL_S: '0' }, cwd);
      expect(res.status).toBe(2);
      expect(res.stderr).toContain('tokengate keygen, send SIGHUP to every signer, then tokengate rotate --kid <kid>');
      expect(readdirSync(join(cwd, KEYS)).sort()).toEqual(['active', 'k1.jwk.json']);
      expect(activeKid(cwd)).toBe('k1');
    });

    it.each([
      ['--kid with --alg', ['--kid', 'k1', '--alg', 'RS256'], /--alg and --wait are for a new key/],
      ['a --wait that is not a duration', ['--wait', 'soon'], /--wait is not a duration/],
      ['a malformed kid', ['--kid', 'a b'], /a kid is 1 to 64 letters/],
    ])('refuses %s with exit status 2', (_case, args, message) => {
      const res = run(['rotate', ...args], env, ringDir('ES256'));
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(message);
    });

    it('refuses a kid that is not in the ring with exit status 1', () => {
      const cwd = ringDir('ES256');
      const res = run(['rotate', '--kid', 'nope'], env, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('there is no key nope in secrets/keys');
      expect(activeKid(cwd)).toBe('k1');
    });
  });

  describe('retire', () => {
    const env = { JWT_ALG: 'ES256' };
    /** k1 was active until a moment ago; k2 signs now. */
    const rotatedDir = () => {
      const cwd = ringDir('ES256');
      expect(run(['keygen', '--kid', 'k2'], env, cwd).status).toBe(0);
      expect(run(['rotate', '--kid', 'k2'], env, cwd).status).toBe(0);
      return cwd;
    };
    let shared: string | undefined;
    const rotatedDirOnce = () => (shared ??= rotatedDir());

    it.each([
      ['refuses the active key', ['k2', '--force'], 1, /k2 is the active key/, 'k2', true],
      [
        'refuses a key whose tokens may still be alive, saying until when and what --force does',
        ['k1'],
        1,
        /tokens signed by k1 may be alive until \d{4}-\d\d-\d\dT[\d:]+Z \(in 7d\b.*or now with --force, which signs those sessions out/,
        'k1',
        true,
      ],
      [
        'retires a replaced key with --force, saying signers drop it at their next reload',
        ['k1', '--force'],
        0,
        /signers drop it at their next reload/,
        'k1',
        false,
      ],
    ])('%s', (_case, args, status, message, kid, kept) => {
      const cwd = rotatedDir();
      const res = run(['retire', ...args], env, cwd);
      expect(res.status).toBe(status);
      expect(res.stderr).toMatch(message);
      expect(existsSync(keyFile(cwd, kid))).toBe(kept);
    });

    it('retires it without --force once every token it signed has expired', () => {
      const cwd = rotatedDir();
      const longAgo = new Date(Date.now() - 8 * 86400_000);
      utimesSync(join(cwd, KEYS, 'active'), longAgo, longAgo);
      expect(run(['retire', 'k1'], env, cwd).status).toBe(0);
      expect(existsSync(keyFile(cwd, 'k1'))).toBe(false);
    });

    it.each([
      ['an unknown kid', ['nope'], 1, /there is no key nope in secrets\/keys/],
      ['no kid', [], 2, /give the kid to retire/],
      ['a malformed kid', ['../active'], 2, /a kid is 1 to 64 letters/],
      ['two kids', ['k1', 'k2'], 2, /unexpected argument "k2"/],
    ])('refuses %s', (_case, args, status, message) => {
      const res = run(['retire', ...args], env, rotatedDirOnce());
      expect(res.status).toBe(status);
      expect(res.stderr).toMatch(message);
    });
  });

  describe('mint and verify', () => {
    it.each(KEY_ALGS)('mints a %s token that verify accepts, with the kid and alg of the active key', async (alg) => {
      const env = { JWT_ALG: alg, ...HS };
      const cwd = ringDir(alg, `k-${alg}`, env);
      const minted = run(['mint', '--sub', 'alice', '--roles', 'admin,user', '--claim', 'team=blue', '--ttl', '10m'], env, cwd);
      expect(minted.status).toBe(0);
      expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const token = minted.stdout.trim();

      const verified = run(['verify', token], env, cwd);
      expect(verified.status).toBe(0);
      const { header, claims } = parseOutput(verified.stdout);
      expect(header).toEqual({ alg, kid: `k-${alg}`, typ: 'at+jwt' });
      expect(claims).toMatchObject({ sub: 'alice', roles: ['admin', 'user'], team: 'blue', iss: 'tokengate' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(600);
      expect(verified.stderr).toMatch(
        new RegExp(`valid access token: signed by kid k-${alg} \\(${alg}\\), expires in (10m|9m \\d+s); revocation is not checked`),
      );

      // The signer's own verifier, on the same ring, agrees.
      const { keys } = await openKeys({ dir: join(cwd, KEYS), alg, secretKey: await importHmacKey(new TextEncoder().encode(TEST_SECRET)), generate: false });
      const result = await createTokenVerifier({ keys: () => keys, issuer: 'tokengate', clockSkewSeconds: 0 })(token);
      expect(result).toMatchObject({ ok: true, claims: { sub: 'alice', team: 'blue' } });
    });

    it('signs with the secret, without kid, under HS256 with no ring; puts AUDIENCE in; verify reads - from stdin', () => {
      const env = { ...HS, AUDIENCE: 'api', ISSUER: 'gw.example' };
      const cwd = workDir();
      const token = run(['mint', '--sub', 'bob'], env, cwd).stdout.trim();
      const res = run(['verify', '-'], env, cwd, `Bearer ${token}\n`);
      expect(res.status).toBe(0);
      const { header, claims } = parseOutput(res.stdout);
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      expect(claims).toMatchObject({ sub: 'bob', iss: 'gw.example', aud: 'api' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      expect(res.stderr).toContain('signed by the secret (HS256)');
      expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    it('verifies a refresh token as one, as its typ says', async () => {
      const cwd = ringDir('ES256');
      const { keys } = await openKeys({
        dir: join(cwd, KEYS),
        alg: 'ES256',
        secretKey: await importHmacKey(new TextEncoder().encode(TEST_SECRET)),
        generate: false,
      });
      const issue = createTokenIssuer({ keys: () => keys, issuer: 'tokengate', ttlSeconds: 60 });
      const { token } = await issue({ sub: 'carol' }, { kind: 'refresh', own: { sid: 'session-1' } });
      const res = run(['verify', token], { JWT_ALG: 'ES256' }, cwd);
      expect(res.status).toBe(0);
      expect(parseOutput(res.stdout).claims).toMatchObject({ sub: 'carol', sid: 'session-1' });
      expect(res.stderr).toContain('valid refresh token: signed by kid k1 (ES256)');
    });

    it('refuses to mint without the secret file under HS256, and creates none', () => {
      const cwd = workDir();
      const res = run(['mint', '--sub', 'alice'], {}, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('JWT_SECRET_FILE secrets/jwt-secret does not exist');
      expect(res.stdout).toBe('');
      expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    it('refuses to mint under ES256 before there is a ring, and generates none', () => {
      const cwd = workDir();
      const res = run(['mint', '--sub', 'alice'], { JWT_ALG: 'ES256' }, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('no key ring in secrets/keys yet');
      expect(existsSync(join(cwd, 'secrets'))).toBe(false);
    });

    const refusals: [string, string[], RegExp][] = [
      ['no --sub', ['--roles', 'admin'], /--sub is required/],
      ['a sub with surrounding space', ['--sub', ' alice'], /sub must be printable ASCII/],
      ['an empty role (a trailing comma)', ['--sub', 'a', '--roles', 'admin,'], /a role must be printable ASCII without spaces or commas/],
      ['a role with a space', ['--sub', 'a', '--roles', 'ad min'], /a role must be printable ASCII/],
      ['a role with a control character', ['--sub', 'a', '--roles', 'ad\u0007min'], /a role must be printable ASCII/],
      ...['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'sub', 'roles'].map((name): [string, string[], RegExp] => [
        `the reserved claim ${name}`,
        ['--sub', 'a', '--claim', `${name}=x`],
        new RegExp(`--claim ${name}: the gateway sets ${name} itself`),
      ]),
      ['a claim name that is not a name', ['--sub', 'a', '--claim', '__proto__=x'], /a claim name is a letter/],
      ['a claim without =', ['--sub', 'a', '--claim', 'team'], /--claim takes name=value/],
      ['a claim given twice', ['--sub', 'a', '--claim', 'team=a', '--claim', 'team=b'], /--claim team is given twice/],
      ['a ttl of 0', ['--sub', 'a', '--ttl', '0'], /--ttl must be between 1s and 30d/],
      ['a ttl over 30 days', ['--sub', 'a', '--ttl', '31d'], /--ttl must be between 1s and 30d/],
      ['a ttl that is not a duration', ['--sub', 'a', '--ttl', '1 hour'], /--ttl is not a duration/],
      ['claims too large for a token', ['--sub', 'a', '--claim', `note=${'x'.repeat(5000)}`], /the limit is 4096/],
      ['an unknown option', ['--sub', 'a', '--admin'], /Unknown option '--admin'/],
    ];
    it.each(refusals)('refuses %s with exit status 2 and prints no token', (_case, args, message) => {
      const res = run(['mint', ...args], HS);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
    });
  });

  describe('verify failures', () => {
    const env = { JWT_ALG: 'ES256', CLOCK_SKEW_S: '0' };
    let cwd: string;
    let good: string;
    beforeAll(() => {
      cwd = ringDir('ES256');
      expect(run(['keygen', '--alg', 'RS256', '--kid', 'rs'], env, cwd).status).toBe(0);
      good = run(['mint', '--sub', 'alice'], env, cwd).stdout.trim();
    });
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      [
        'an expired token',
        () => signWithRingKey(cwd, 'k1', { sub: 'alice', iss: 'tokengate', iat: now() - 120, exp: now() - 60 }),
        'ERR_JWT_EXPIRED',
        /it expired at \S+Z \(1m( \d+s)? ago\); CLOCK_SKEW_S allows 0s/,
      ],
      ['a tampered token', () => tamper(good), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', /the signature does not match key "k1"/],
      [
        'an HS256 token carrying the kid of an RS256 key',
        () =>
          new SignJWT({ sub: 'mallory', iss: 'tokengate' })
            .setProtectedHeader({ alg: 'HS256', kid: 'rs' })
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(TEST_SECRET)),
        'alg_mismatch',
        /key "rs" is of another algorithm: an algorithm-confusion attempt/,
      ],
      ['a token without kid under ES256', () => mint({ sub: 'alice' }), 'missing_kid', /it has no kid, and JWT_ALG is ES256/],
      [
        'a token of another issuer',
        () => signWithRingKey(cwd, 'k1', { sub: 'alice', iss: 'elsewhere', exp: now() + 60 }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
        /its iss is "elsewhere", but ISSUER is "tokengate"/,
      ],
      [
        'a token with alg none',
        () => rawSegments({ alg: 'none', kid: 'k1' }, { sub: 'alice', iss: 'tokengate', exp: now() + 60 }),
        'ERR_JOSE_ALG_NOT_ALLOWED',
        /its header says alg "none", and tokengate accepts only/,
      ],
      ['garbage', () => 'not-a-token', 'malformed', /it is not a JWT/],
      [
        'a token respelt in its last signature character',
        () => respellings(good, 'signature')[0]!,
        'non_canonical',
        /its signature ends in "\S", which sets bits base64url leaves unused: it is another spelling of the signature ending in "\S"/,
      ],
    ])('refuses %s with exit status 1, its reason code and a sentence', async (_case, makeToken, code, sentence) => {
      const res = run(['verify', await makeToken()], env, cwd);
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(`tokengate verify: invalid (${code}): `);
      expect(res.stderr).toMatch(sentence);
    });

    it('refuses a token whose key was retired (unknown_kid)', () => {
      expect(run(['rotate', '--wait', '0'], env, cwd).status).toBe(0);
      expect(run(['retire', 'k1', '--force'], env, cwd).status).toBe(0);
      const res = run(['verify', good], env, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(
        'invalid (unknown_kid): signed with kid "k1", which is not in the key ring in secrets/keys (retired, or another gateway\'s key)',
      );
    });

    it.each([
      ['no token', [] as string[], undefined, /give the token, or - to read it from stdin/],
      ['two tokens', ['a.b.c', 'd.e.f'], undefined, /unexpected argument "d.e.f"/],
      ['- with nothing on stdin', ['-'], '', /no token on stdin/],
    ])('refuses %s with exit status 2', (_case, args, input, message) => {
      const res = run(['verify', ...args], env, cwd, input);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(message);
    });
  });

  describe('keys', () => {
    it.each([
      ['HS256 without a ring', {}, /the secret signs \(HS256, no key ring in secrets\/keys\)/],
      ['ES256 before its first start', { JWT_ALG: 'ES256' }, /no key ring in secrets\/keys yet; the signer generates an ES256 one/],
    ])('says what signs under %s, with nothing on stdout', (_case, env, message) => {
      const res = run(['keys'], env);
      expect(res.status).toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(message);
    });

    it('warns about a key file others can read', () => {
      const cwd = ringDir('ES256');
      chmodSync(keyFile(cwd, 'k1'), 0o644);
      const res = run(['keys'], { JWT_ALG: 'ES256' }, cwd);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^k1 +ES256 +0644 +active\n$/);
      expect(res.stderr).toContain('warning: k1.jwk.json: mode 0644 lets others read the key');
    });

    it('exits 1 with the problems of a broken ring', () => {
      const cwd = ringDir('ES256');
      writeFileSync(keyFile(cwd, 'k1'), '{}');
      const res = run(['keys'], { JWT_ALG: 'ES256' }, cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('- k1.jwk.json: "kid" is missing');
    });
  });

  describe('decode', () => {
    it('prints the header and claims as JSON, and says on stderr that nothing was verified', async () => {
      const token = await mint({ sub: 'alice', roles: ['admin'] });
      const res = run(['decode', token]);
      expect(res.status).toBe(0);
      const decoded = parseOutput(res.stdout);
      expect(decoded.header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      expect(decoded.claims).toMatchObject({ sub: 'alice', roles: ['admin'], iss: 'tokengate' });
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

  // Last, once every command above has run: no output of any of them held a private key member or the secret.
  it('never printed private key material or the secret', () => {
    expect(privateValues.size).toBeGreaterThan(10);
    const all = printed.join('\n');
    for (const value of privateValues) expect(all.includes(value), 'a private value was printed').toBe(false);
  });
});
