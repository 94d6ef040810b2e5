import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTRY, ROOT } from '../../scripts/stack/paths.js';
import { testPort } from '../fixtures/ports.js';
import { FRONTS, frontAvailable, http, login } from './harness.js';
import { cleanupRunners, portIsClosed, spawnRunner } from './runner-harness.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tokengate-proc-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await cleanupRunners();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs a built entry point to completion with a clean environment plus `env`. */
function run(entry: string, env: Record<string, string>, timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('the signer refusing to start', () => {
  it('exits 2 and names every invalid variable at once', async () => {
    const r = await run(ENTRY.signer, { TOKEN_TTL_S: 'forever', SIGNER_PORT: '99999', LOG_LEVEL: 'chatty', JWT_SECRET_FILE: join(tempDir(), 's') });
    expect(r.code).toBe(2);
    for (const name of ['TOKEN_TTL_S', 'SIGNER_PORT', 'LOG_LEVEL']) expect(r.stderr).toContain(`${name}:`);
  });

  it('exits 2 on a secret file shorter than 32 bytes, without printing it', async () => {
    const file = join(tempDir(), 'short-secret');
    writeFileSync(file, 'tiny-but-secret-value\n', { mode: 0o600 });
    const r = await run(ENTRY.signer, { JWT_SECRET_FILE: file, SIGNER_PORT: String(await testPort()) });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/too short.*32 bytes/);
    expect(r.stdout + r.stderr).not.toContain('tiny-but-secret-value');
  });
});

describe('the signer on first start', () => {
  it('generates a 0600 secret file, says so, and never logs the value', async () => {
    const dir = tempDir();
    const file = join(dir, 'nested', 'jwt-secret');
    const port = await testPort();
    const child = spawn(process.execPath, [ENTRY.signer], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', JWT_SECRET_FILE: file, SIGNER_PORT: String(port) },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await expect.poll(() => out, { timeout: 10_000 }).toContain('signer listening');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
    expect(out).toContain('generated a new signing secret');
    expect(out).not.toContain(secret);
  });
});

/** Starts `npm start`'s script on free ports in a temp dir and waits for its banner. */
async function startRunner(env: Record<string, string>) {
  const runner = await spawnRunner(env);
  await runner.waitFor(runner.banner);
  return runner;
}

describe.each(FRONTS)('npm start (scripts/start.ts) with the %s front', (front) => {
  it.skipIf(!frontAvailable(front))('serves the demo, then stops every process on SIGTERM', async () => {
    const runner = await startRunner({ FRONT: front });
    const base = `http://127.0.0.1:${runner.ports.gateway}`;
    expect(runner.output()).toContain('alice / wonderland');
    expect(runner.output()).toContain({ nginx: 'front: nginx', openresty: 'front: OpenResty', embedded: 'front: embedded' }[front]);
    const token = await login(base, 'alice', 'wonderland');
    expect((await http(`${base}/check`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    runner.child.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    for (const port of Object.values(runner.ports)) expect(await portIsClosed(port)).toBe(true);
  });
});

describe('npm start without nginx', () => {
  it('falls back to the embedded front, in one line with the install hint, when nginx is missing', async () => {
    const runner = await startRunner({ PATH: '/nonexistent', NGINX_BIN: '/nonexistent/nginx' });
    expect(runner.output()).toMatch(/^nginx not found: running the embedded Node front instead; .*install-deps/m);
    runner.child.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
  });
});

describe('npm start itself', () => {
  // `npm start` runs `sh -c '… && exec node …'`: without the exec, sh took npm's SIGTERM and died
  // without passing it on, and the stack was left running under init.
  it('stops the whole stack when npm gets SIGTERM', { timeout: 120_000 }, async () => {
    const runner = await spawnRunner({ FRONT: 'embedded' }, { npm: true });
    await runner.waitFor(runner.banner, 90_000);
    runner.child.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    expect(runner.output()).toContain('stopped.');
    for (const port of Object.values(runner.ports)) expect(await portIsClosed(port)).toBe(true);
  });
});
