import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../../scripts/stack/stack.js';
import { FRONTS, frontAvailable, http, launch, login, type TestStack } from './harness.js';
import { cleanupRunners, freePorts, portIsClosed, spawnRunner } from './runner-harness.js';
import { alive } from '../fixtures/alive.js';
import { processesNaming } from '../fixtures/processes.js';
import { addKey } from '../../src/signing-keys/operations.js';

const dirs: string[] = [];
const servers: Server[] = [];
let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
  await cleanupRunners();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tokengate-runner-test-'));
  dirs.push(d);
  return d;
};

/** The nginx-front stack options on these loopback ports, in a fresh temp dir. */
const onPorts = (ports: { gateway: number; signer: number; upstream: number }) => ({
  front: 'nginx' as const,
  workDir: tempDir(),
  gateway: { host: '127.0.0.1', port: ports.gateway },
  signer: { host: '127.0.0.1', port: ports.signer },
  upstream: { host: '127.0.0.1', port: ports.upstream },
});

/** A stand-in nginx that passes `nginx -V` and then never serves: start-up stays stuck on it. */
function stuckNginx() {
  const dir = tempDir();
  const bin = join(dir, 'nginx');
  const pidFile = join(dir, 'stuck-nginx.pid');
  writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `if [ "$1" = -V ]; then echo 'nginx version: nginx/1.22.1' >&2; echo 'configure arguments: --with-http_auth_request_module' >&2; exit 0; fi`,
      `echo $$ > '${pidFile}'`,
      "echo 'stuck nginx: never ready' >&2",
      'exec sleep 120',
      '',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return { bin, pid: () => Number(readFileSync(pidFile, 'utf8')) };
}

/** An HTTP server (not ours) on 127.0.0.1:port that answers every request. */
async function occupy(port: number): Promise<void> {
  const server = createServer((_req, res) => res.end('someone else'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

describe('start.js stopped during start-up', () => {
  it('stops the processes already started, the one still starting too, and exits 0 without a banner', async () => {
    const nginx = stuckNginx();
    const runner = await spawnRunner({ FRONT: 'nginx', NGINX_BIN: nginx.bin });
    await runner.waitFor('stuck nginx: never ready');
    runner.child.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    expect(runner.output()).not.toContain('tokengate is running');
    for (const port of Object.values(runner.ports)) expect(await portIsClosed(port)).toBe(true);
    await expect.poll(() => alive(nginx.pid()), { timeout: 5_000 }).toBe(false);
  });
});

describe('startStack aborted during start-up', () => {
  it('stops everything it started and rejects with the abort reason', async () => {
    const nginx = stuckNginx();
    const ports = await freePorts();
    const aborter = new AbortController();
    const starting = startStack({
      ...onPorts(ports),
      nginxBin: nginx.bin,
      signal: aborter.signal,
      onLine: (_name, line) => void (line.includes('never ready') && aborter.abort()),
    });
    await expect(starting).rejects.toMatchObject({ name: 'AbortError' });
    for (const port of Object.values(ports)) expect(await portIsClosed(port)).toBe(true);
    await expect.poll(() => alive(nginx.pid()), { timeout: 5_000 }).toBe(false);
  });
});

describe.each(FRONTS)('start.js SIGKILLed after the banner, with the %s front', (front) => {
  // Its children hold IPC channels to it (nginx through nginx-guard): they exit on `disconnect`.
  it.skipIf(!frontAvailable(front))('leaves nothing listening and nothing running: every process exits on its own', async () => {
    const runner = await spawnRunner({ FRONT: front });
    await runner.waitFor(runner.banner);
    expect(processesNaming(runner.dir).length).toBeGreaterThan(0);
    runner.child.kill('SIGKILL');
    expect(await runner.exited).toBe('SIGKILL');
    for (const port of Object.values(runner.ports)) await expect.poll(() => portIsClosed(port), { timeout: 10_000 }).toBe(true);
    // Not only closed ports: a child stuck writing its last log line to the dead runner is a leak too.
    await expect.poll(() => processesNaming(runner.dir), { timeout: 10_000 }).toEqual([]);
  });
});

describe.each(FRONTS)('kill -HUP to start.js, with the %s front', (front) => {
  it.skipIf(!frontAvailable(front))('reloads the key ring: a key added since the start is published through the gateway', async () => {
    const runner = await spawnRunner({ FRONT: front, JWT_ALG: 'ES256', KEYS_CHECK_INTERVAL_S: '0' });
    await runner.waitFor(runner.banner);
    const jwksKids = async () => {
      const res = await http(`http://127.0.0.1:${runner.ports.gateway}/.well-known/jwks.json`);
      return (res.json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    };
    const before = await jwksKids();
    expect(before).toHaveLength(1);
    const { kid } = await addKey(join(runner.dir, 'keys'), 'ES256');
    expect(await jwksKids()).toEqual(before);
    runner.child.kill('SIGHUP');
    await expect.poll(jwksKids, { timeout: 10_000 }).toEqual([...before, kid].sort());
    expect(runner.output()).toMatch(/"reason":"SIGHUP"/);
    expect(runner.child.exitCode).toBeNull();
  });
});

describe('an address the stack needs is already taken', () => {
  it('start.js names it, exits 1 and leaves nothing running', async () => {
    const ports = await freePorts();
    await occupy(ports.upstream);
    const runner = await spawnRunner({ FRONT: 'embedded' }, { ports });
    expect(await runner.exited).toBe(1);
    expect(runner.output()).toContain(`npm start: 127.0.0.1:${ports.upstream} is already in use (UPSTREAM_URL)`);
    expect(runner.output()).not.toContain('tokengate is running');
    expect(await portIsClosed(ports.gateway)).toBe(true);
  });

  it.each([
    ['gateway', 'GATEWAY_PORT'],
    ['signer', 'SIGNER_PORT'],
  ] as const)('startStack refuses before starting anything when the %s port is in use', async (which, setting) => {
    const ports = await freePorts();
    await occupy(ports[which]);
    const starting = startStack({
      ...onPorts(ports),
      // It passes `nginx -V`; the address check comes before anything would run it.
      nginxBin: stuckNginx().bin,
    });
    await expect(starting).rejects.toMatchObject({ code: 'ERR_ADDRESS_UNAVAILABLE', message: `127.0.0.1:${ports[which]} is already in use (${setting})` });
    for (const [name, port] of Object.entries(ports)) if (name !== which) expect(await portIsClosed(port)).toBe(true);
  });
});

describe.skipIf(!frontAvailable('nginx'))('the nginx front started by the runner', () => {
  // Run as root (as CI does), nginx's workers are nobody and buffer a body over 16 KiB in the
  // prefix's client_body_temp: every parent directory must let them through.
  it('buffers a 200 KiB request body and hands all of it to the app', async () => {
    stack = await launch('nginx');
    const token = await login(stack.url, 'alice', 'wonderland');
    const res = await http(`${stack.url}/api/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(200 * 1024, 'x'),
    });
    // The demo app's upload route counts what it received.
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ sub: 'alice', bytes: 200 * 1024 });
  });
});
