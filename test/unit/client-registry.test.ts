import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startClients, type ClientReloader } from '../../src/service-clients/client-reloader.js';
import { ClientsError, loadClients } from '../../src/service-clients/registry.js';
import { capturingLogger } from '../fixtures/signer.js';
import { clientKeyPair } from '../fixtures/client-keys.js';

const rsa = clientKeyPair('RS256');
const ec = clientKeyPair('ES256');
const ed = clientKeyPair('EdDSA');
const edJwk = JSON.stringify(ed.publicKey.export({ format: 'jwk' }));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A CLIENTS_DIR holding these files (name → content), mode 0600 unless given. */
function clientsDir(files: Record<string, string> = {}, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-clients-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

async function problemsOf(dir: string): Promise<string[]> {
  const err = await loadClients(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClientsError);
  return (err as ClientsError).problems.map((p) => `${p.file}: ${p.reason}`);
}

describe('loading CLIENTS_DIR', () => {
  it('reads every <name>.pem and <name>.jwk.json, with the algorithm its key fixes', async () => {
    const dir = clientsDir({ 'billing.pem': rsa.publicPem, 'reports.v2.pem': ec.publicPem, 'audit_bot.jwk.json': edJwk });
    const { registry, warnings } = await loadClients(dir);
    expect([...registry.clients.values()].map((c) => [c.name, c.alg, c.file])).toEqual([
      ['audit_bot', 'EdDSA', 'audit_bot.jwk.json'],
      ['billing', 'RS256', 'billing.pem'],
      ['reports.v2', 'ES256', 'reports.v2.pem'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('has no clients when the directory does not exist', async () => {
    const { registry } = await loadClients(join(clientsDir(), 'absent'));
    expect(registry.clients.size).toBe(0);
  });

  it('follows symlinks (Kubernetes mounts secrets so) and skips dotfiles (temp files of client add)', async () => {
    const dir = clientsDir({ '.billing.pem.123.tmp': 'half written', 'real-key': ec.publicPem });
    symlinkSync(join(dir, 'real-key'), join(dir, 'billing.pem'));
    const { registry, warnings } = await loadClients(dir);
    expect([...registry.clients.keys()]).toEqual(['billing']);
    expect(warnings.map((w) => w.file)).toEqual(['real-key']);
  });

  it('warns about, and ignores, a file that is not a client key file', async () => {
    const { registry, warnings } = await loadClients(clientsDir({ 'billing.pem': ec.publicPem, 'README.md': '# clients', 'billing.pub': ec.publicPem }));
    expect([...registry.clients.keys()]).toEqual(['billing']);
    expect(warnings.map((w) => w.file).sort()).toEqual(['README.md', 'billing.pub']);
  });

  it('warns about a key file other users could replace', async () => {
    const { warnings } = await loadClients(clientsDir({ 'billing.pem': ec.publicPem }, 0o666));
    expect(warnings).toEqual([{ file: 'billing.pem', reason: expect.stringContaining('0666') }]);
  });

  it.each([
    ['a private key', { 'billing.pem': rsa.privatePem }, /billing\.pem: holds a private key/],
    ['a private JWK', { 'billing.jwk.json': JSON.stringify(ed.privateKey.export({ format: 'jwk' })) }, /billing\.jwk\.json: holds a private key/],
    ['a client twice, in both formats', { 'billing.pem': ec.publicPem, 'billing.jwk.json': edJwk }, /billing\.pem: client billing also has billing\.jwk\.json/],
    ['a name with a character outside the set', { 'bill ing.pem': ec.publicPem }, /bill ing\.pem: the file name/],
    ['a name too long', { [`${'a'.repeat(65)}.pem`]: ec.publicPem }, /the file name/],
    ['a JWK in a .pem file', { 'billing.pem': edJwk }, /not what the file name says/],
    [
      'a PEM block that holds no public key',
      { 'billing.pem': clientKeyPair('ES256').privatePem.replace('PRIVATE', 'PUBLIC') },
      /billing\.pem: is not a valid PEM public key/,
    ],
  ])('refuses the whole directory over %s, naming the file', async (_case, files, problem) => {
    const problems = await problemsOf(clientsDir({ 'good.pem': ec.publicPem, ...files }));
    expect(problems.join('\n')).toMatch(problem);
  });

  it('lists every problem at once', async () => {
    const problems = await problemsOf(clientsDir({ 'a.pem': rsa.privatePem, 'b.pem': 'junk', 'c.pem': ec.publicPem }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['a.pem', 'b.pem']);
  });

  it('refuses a directory named like a key file', async () => {
    const dir = clientsDir();
    mkdirSync(join(dir, 'billing.pem'));
    expect((await problemsOf(dir)).join()).toMatch(/not a regular file/);
  });
});

describe('keeping the clients in step with CLIENTS_DIR', () => {
  const reloaders: ClientReloader[] = [];
  afterEach(() => {
    for (const r of reloaders.splice(0)) r.stop();
  });
  const follow = async (dir: string, intervalMs = 0) => {
    const { logger, lines } = capturingLogger();
    const reloader = await startClients({ dir, logger, intervalMs });
    reloaders.push(reloader);
    const names = () => [...reloader.clients().clients.keys()];
    return { reloader, names, logged: () => lines.map((l) => JSON.parse(l) as { level: number; msg: string; problems?: unknown }) };
  };

  it('refuses to start on a directory with a problem', async () => {
    const { logger } = capturingLogger();
    await expect(startClients({ dir: clientsDir({ 'x.pem': rsa.privatePem }), logger, intervalMs: 0 })).rejects.toBeInstanceOf(ClientsError);
  });

  it('takes a client added or removed at the next reload (SIGHUP)', async () => {
    const dir = clientsDir({ 'billing.pem': ec.publicPem });
    const { reloader, names } = await follow(dir);
    await writeFile(join(dir, 'reports.pem'), rsa.publicPem);
    expect(names()).toEqual(['billing']);
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(names()).toEqual(['billing', 'reports']);
    await rm(join(dir, 'billing.pem'));
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(names()).toEqual(['reports']);
  });

  it('keeps the clients it had when the directory turns bad, logging why, and takes the fix', async () => {
    const dir = clientsDir({ 'billing.pem': ec.publicPem });
    const { reloader, names, logged } = await follow(dir);
    const before = reloader.clients();
    await writeFile(join(dir, 'mallory.pem'), rsa.privatePem);
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(reloader.clients()).toBe(before);
    expect(logged().find((l) => l.level === 50)).toMatchObject({
      msg: expect.stringContaining('previous ones stay in use'),
      problems: [{ file: 'mallory.pem' }],
    });
    await writeFile(join(dir, 'mallory.pem'), rsa.publicPem);
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(names()).toEqual(['billing', 'mallory']);
  });

  it('notices a change by itself when it polls', async () => {
    const dir = clientsDir();
    const { names } = await follow(dir, 20);
    await writeFile(join(dir, 'billing.jwk.json'), edJwk);
    await expect.poll(names, { timeout: 2000, interval: 10 }).toEqual(['billing']);
  });
});
