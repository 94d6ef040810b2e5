import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadClients } from '../../src/service-clients/registry.js';
import { createClientVerifier } from '../../src/service-clients/verify-client.js';
import { MemoryStore } from '../../src/store/memory.js';
import { clientKeyPair, type ClientKeyPair } from '../fixtures/client-keys.js';
import { runCli, useCliDirs } from '../fixtures/cli.js';

// `tokengate client ...`, built, run as real processes in directories of their own with a clean environment.

const CLIENTS = 'secrets/clients';
const workDir = useCliDirs('tokengate-client-cli-');

const run = (args: string[], cwd = workDir(), env: Record<string, string> = {}) => runCli(args, { cwd, env });

/** Writes the pair's keys into `cwd` as k.pem (private, 0600) and k.pub.pem, as openssl genpkey and pkey -pubout would. */
function keyFiles(cwd: string, pair: ClientKeyPair, name = 'k'): { priv: string; pub: string } {
  writeFileSync(join(cwd, `${name}.pem`), pair.privatePem, { mode: 0o600 });
  writeFileSync(join(cwd, `${name}.pub.pem`), pair.publicPem);
  return { priv: `${name}.pem`, pub: `${name}.pub.pem` };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('tokengate client', () => {
  it('is listed by tokengate --help, and explains every subcommand with --help', () => {
    expect(run(['--help']).stdout).toContain('tokengate client add|sign|list|remove');
    const res = run(['client', 'add', '--help']);
    expect(res.status).toBe(0);
    for (const line of ['client add NAME PUBLIC_KEY_FILE', 'client sign --key', 'client list', 'client remove NAME']) expect(res.stdout).toContain(line);
  });

  it.each([
    ['no subcommand', ['client'], /give a subcommand/],
    ['an unknown subcommand', ['client', 'delete', 'x'], /unknown subcommand "delete"/],
    ['add without a file', ['client', 'add', 'billing'], /give the client name and its public key file/],
    ['add with a name that climbs out of the directory', ['client', 'add', '../keys/x', 'k.pub.pem'], /a client name is 1 to 64/],
    ['add with a dotfile name', ['client', 'add', '.hidden', 'k.pub.pem'], /does not start with "."/],
    ['add with a name of 65 characters', ['client', 'add', 'a'.repeat(65), 'k.pub.pem'], /a client name is 1 to 64/],
    ['sign without --name', ['client', 'sign', '--key', 'k.pem'], /--key FILE --name NAME/],
    ['sign with a name holding a space', ['client', 'sign', '--key', 'k.pem', '--name', 'bill ing'], /a client name/],
    ['remove without a name', ['client', 'remove'], /give the client name/],
  ])('refuses %s with exit status 2', (_case, args, message) => {
    const res = run(args);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  describe('add', () => {
    it.each([
      ['RS256', 'billing.pem'],
      ['ES256', 'billing.pem'],
      ['EdDSA', 'billing.pem'],
    ] as const)('registers a %s public key as %s, mode 0600 in a 0700 CLIENTS_DIR, and prints the file', (alg, file) => {
      const cwd = workDir();
      const { pub } = keyFiles(cwd, clientKeyPair(alg));
      const res = run(['client', 'add', 'billing', pub], cwd);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toBe(`${CLIENTS}/${file}\n`);
      expect(res.stderr).toContain(`registered client billing: ${alg}`);
      expect(mode(join(cwd, CLIENTS, file))).toBe(0o600);
      expect(mode(join(cwd, CLIENTS))).toBe(0o700);
    });

    it('registers a JWK as <name>.jwk.json, into the CLIENTS_DIR the environment names', () => {
      const cwd = workDir();
      writeFileSync(join(cwd, 'k.jwk.json'), JSON.stringify(clientKeyPair('EdDSA').publicKey.export({ format: 'jwk' })));
      const res = run(['client', 'add', 'reports', 'k.jwk.json'], cwd, { CLIENTS_DIR: 'elsewhere' });
      expect(res.status, res.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(cwd, 'elsewhere/reports.jwk.json'), 'utf8'))).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    });

    it('refuses a private key, writes nothing, and quotes none of it', () => {
      const cwd = workDir();
      const pair = clientKeyPair('RS256');
      const { priv } = keyFiles(cwd, pair);
      const res = run(['client', 'add', 'billing', priv], cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/holds a private key.*openssl pkey -in KEY -pubout/);
      expect(res.stderr + res.stdout).not.toContain(pair.privatePem.split('\n')[1]!.slice(0, 16));
      expect(existsSync(join(cwd, CLIENTS))).toBe(false);
    });

    it('refuses a name already registered, unless --force, which replaces the key (in either format)', () => {
      const cwd = workDir();
      const first = keyFiles(cwd, clientKeyPair('ES256'), 'a');
      writeFileSync(join(cwd, 'b.jwk.json'), JSON.stringify(clientKeyPair('EdDSA').publicKey.export({ format: 'jwk' })));
      expect(run(['client', 'add', 'billing', first.pub], cwd).status).toBe(0);
      const again = run(['client', 'add', 'billing', 'b.jwk.json'], cwd);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/client billing is already registered .*--force/);
      const forced = run(['client', 'add', '--force', 'billing', 'b.jwk.json'], cwd);
      expect(forced.status, forced.stderr).toBe(0);
      expect(forced.stderr).toContain('replaced the key of client billing: EdDSA');
      expect(readdirSync(join(cwd, CLIENTS))).toEqual(['billing.jwk.json']);
    });

    it('says which file it cannot read (exit 1)', () => {
      const res = run(['client', 'add', 'billing', 'missing.pem']);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('missing.pem cannot be read (ENOENT)');
    });
  });

  describe('sign', () => {
    it('prints one header value, JWT <token>, that the gateway accepts once for the registered key', async () => {
      const cwd = workDir();
      const pair = clientKeyPair('ES256');
      const { priv, pub } = keyFiles(cwd, pair);
      expect(run(['client', 'add', 'billing', pub], cwd).status).toBe(0);
      const before = Math.floor(Date.now() / 1000);
      const res = run(['client', 'sign', '--key', priv, '--name', 'billing'], cwd);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stderr).toBe('');
      expect(res.stdout).toMatch(/^JWT [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
      const token = res.stdout.trim().slice(4);
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT' });
      const claims = decodeJwt(token);
      expect(claims).toEqual({ username: 'billing', time: expect.any(Number), nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      expect(claims.time).toBeGreaterThanOrEqual(before);

      const { registry } = await loadClients(join(cwd, CLIENTS));
      const check = createClientVerifier({ clients: () => registry, store: new MemoryStore(), windowS: 20 });
      expect(await check(token)).toMatchObject({ ok: true, client: 'billing' });
      expect(await check(token)).toEqual({ ok: false, reason: 'replayed' });
    });

    it('makes a new nonce every time', () => {
      const cwd = workDir();
      const { priv } = keyFiles(cwd, clientKeyPair('EdDSA'));
      const nonces = new Set(
        Array.from({ length: 3 }, () => decodeJwt(run(['client', 'sign', '--key', priv, '--name', 'billing'], cwd).stdout.trim().slice(4)).nonce),
      );
      expect(nonces.size).toBe(3);
    });

    it('reads no configuration: it runs where only the private key is', () => {
      const cwd = workDir();
      const { priv } = keyFiles(cwd, clientKeyPair('RS256'));
      const res = run(['client', 'sign', '--key', priv, '--name', 'billing'], cwd, { JWT_ALG: 'bogus', REDIS_URL: 'not a url' });
      expect(res.status, res.stderr).toBe(0);
    });

    it('warns when others can read the private key', () => {
      const cwd = workDir();
      writeFileSync(join(cwd, 'k.pem'), clientKeyPair('EdDSA').privatePem, { mode: 0o644 });
      const res = run(['client', 'sign', '--key', 'k.pem', '--name', 'billing'], cwd);
      expect(res.status).toBe(0);
      expect(res.stderr).toMatch(/others can read the private key; chmod 600 it/);
    });

    it.each([
      ['the public key', (pair: ClientKeyPair) => pair.publicPem, /holds no private key/],
      [
        'an encrypted key',
        (pair: ClientKeyPair) => pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(),
        /is encrypted/,
      ],
    ])('refuses to sign with %s (exit 1)', (_case, text, message) => {
      const cwd = workDir();
      writeFileSync(join(cwd, 'k.pem'), text(clientKeyPair('RS256')), { mode: 0o600 });
      const res = run(['client', 'sign', '--key', 'k.pem', '--name', 'billing'], cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
    });
  });

  describe('check-config', () => {
    it('names the clients the signers will load', () => {
      const cwd = workDir();
      expect(run(['client', 'add', 'billing', keyFiles(cwd, clientKeyPair('ES256')).pub], cwd).status).toBe(0);
      const res = run(['check-config'], cwd, { POLICY_FILE: '' });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain('clients:  billing (ES256) in secrets/clients');
    });

    it('fails (exit 1) on a CLIENTS_DIR the signers would refuse to start with', () => {
      const cwd = workDir();
      mkdirSync(join(cwd, CLIENTS), { recursive: true });
      writeFileSync(join(cwd, CLIENTS, 'billing.pem'), clientKeyPair('EdDSA').privatePem);
      const res = run(['check-config'], cwd, { POLICY_FILE: '' });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/- CLIENTS_DIR: billing\.pem: holds a private key/);
    });
  });

  describe('list and remove', () => {
    it('lists each client with its algorithm, key fingerprint and file; remove takes it out', () => {
      const cwd = workDir();
      expect(run(['client', 'add', 'billing', keyFiles(cwd, clientKeyPair('RS256'), 'a').pub], cwd).status).toBe(0);
      expect(run(['client', 'add', 'reports', keyFiles(cwd, clientKeyPair('EdDSA'), 'b').pub], cwd).status).toBe(0);
      const listed = run(['client', 'list'], cwd);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(/^billing +RS256 +[A-Za-z0-9_-]{16} +billing\.pem\nreports +EdDSA +[A-Za-z0-9_-]{16} +reports\.pem\n$/);
      expect(listed.stderr).toContain('2 clients in secrets/clients');

      const removed = run(['client', 'remove', 'billing'], cwd);
      expect(removed.status).toBe(0);
      expect(removed.stderr).toMatch(/removed client billing .*signers refuse its tokens at a SIGHUP, or within KEYS_CHECK_INTERVAL_S=5s/);
      expect(run(['client', 'list'], cwd).stdout).toMatch(/^reports /);
      const again = run(['client', 'remove', 'billing'], cwd);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('no client billing in secrets/clients');
    });

    it('says there are none when CLIENTS_DIR does not exist', () => {
      const res = run(['client', 'list']);
      expect(res.status).toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain('no clients in secrets/clients');
    });

    it('lists every problem of a directory the signers would refuse (exit 1)', () => {
      const cwd = workDir();
      mkdirSync(join(cwd, CLIENTS), { recursive: true });
      writeFileSync(join(cwd, CLIENTS, 'mallory.pem'), clientKeyPair('ES256').privatePem);
      writeFileSync(join(cwd, CLIENTS, 'junk.pem'), 'junk');
      const res = run(['client', 'list'], cwd);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/- junk\.pem: is neither/);
      expect(res.stderr).toMatch(/- mallory\.pem: holds a private key/);
    });
  });
});
