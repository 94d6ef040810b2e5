import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../fixtures/ports.js';
import { alive } from '../fixtures/alive.js';
import { fresh, processesNaming, spawnSigner, type LogLine, type SignerProcess } from '../fixtures/cluster-signer.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { startStubUpstream, type StubUpstream } from '../fixtures/upstream-stub.js';
import { FRONTS, frontAvailable, http, login } from './harness.js';
import { cleanupRunners, spawnRunner } from './runner-harness.js';

// The real built signer with SIGNER_WORKERS=2 (a cluster primary and two workers on one port)
// and a real redis-server. Each request goes on a connection of its own, which the primary hands
// to the next worker; the request id it carries names the worker in that worker's log line.

const dirs: string[] = [];
const started: SignerProcess[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tokengate-workers-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
  // The workers of a SIGKILLed primary exit too, when their channel to it closes: give them a moment.
  for (let i = 0; i < 100 && dirs.some((d) => processesNaming(d).length > 0); i++) await sleep(50);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The environment of a signer rooted in `dir` on `port`; the secret, keys and clients in `dir` (whose path then names every process of it in /proc). */
const signerEnv = (dir: string, port: number, more: Record<string, string>) => ({
  SIGNER_PORT: String(port),
  JWT_SECRET_FILE: join(dir, 'jwt-secret'),
  KEYS_DIR: join(dir, 'keys'),
  CLIENTS_DIR: join(dir, 'clients'),
  KEYS_CHECK_INTERVAL_S: '0',
  ...more,
});

const start = (dir: string, env: Record<string, string>, opts: { ipc?: boolean } = {}) => {
  const s = spawnSigner(dir, env, opts);
  started.push(s);
  return s;
};

const isMsg = (msg: string) => (l: LogLine) => l.msg === msg;
/** The ids and pids of the workers the primary started and has not seen exit. */
function liveWorkers(s: SignerProcess): Map<number, number> {
  const live = new Map<number, number>();
  for (const l of s.lines()) {
    if (l.role !== 'primary' || typeof l.worker !== 'number') continue;
    if (l.msg === 'worker started') live.set(l.worker, l.pid as number);
    if (l.msg === 'worker exited unexpectedly') live.delete(l.worker);
  }
  return live;
}

let seq = 0;
/** A request on a fresh connection, tagged with a request id; resolves with the status and the worker that logged it. */
async function tagged(s: SignerProcess, port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const requestId = `workers-test-${seq++}`;
  const reply = await fresh(port, path, { ...opts, headers: { ...opts.headers, 'x-request-id': requestId } });
  const line = await s.waitForLine((l) => l.requestId === requestId, 5_000);
  return { ...reply, worker: line.worker };
}

describe.runIf(redisAvailable())('SIGNER_WORKERS=2 with a real Redis', () => {
  const redis = useTestRedis();
  let upstream: StubUpstream;
  let signer: SignerProcess;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    upstream = await startStubUpstream();
    dir = tempDir();
    port = await testPort();
    // ES256: the primary generates the key ring once, before any worker starts.
    signer = start(
      dir,
      signerEnv(dir, port, { SIGNER_WORKERS: '2', REDIS_URL: redis().url, AUTHENTICATE_URL: upstream.url, JWT_ALG: 'ES256', LOG_LEVEL: 'debug' }),
    );
    await signer.waitForLine(isMsg('signer workers listening'));
    // The primary hears of a worker listening before that worker's own line is read from the
    // shared pipe: wait for both lines.
    for (const id of [1, 2]) await signer.waitForLine((l) => l.worker === id && l.msg === 'signer listening');
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('makes the secret and the key ring once, in the primary, then forks two workers', () => {
    const generated = signer.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('generated a new'));
    expect(generated.map((l) => [l.msg, l.role])).toEqual([
      ['generated a new signing secret (mode 0600)', 'primary'],
      ['generated a new key ring (key files mode 0600)', 'primary'],
    ]);
    expect(readdirSync(join(dir, 'keys')).filter((f) => f.endsWith('.jwk.json'))).toHaveLength(1);
    const workers = liveWorkers(signer);
    expect([...workers.keys()]).toEqual([1, 2]);
    const pids = [...workers.values()];
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(signer.child.pid);
    for (const id of [1, 2]) expect(signer.lines().some((l) => l.worker === id && l.msg === 'signer listening')).toBe(true);
  });

  it('serves one port from both workers, each line tagged with its worker id', async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 6; i++) {
      const r = await tagged(signer, port, '/healthz');
      expect(r.status).toBe(200);
      seen.add(r.worker);
    }
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('refuses on one worker a token logged out through the other, at once', async () => {
    const login = await fresh(port, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'x' }),
    });
    expect(login.status, login.body).toBe(200);
    const { token } = JSON.parse(login.body) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'x-original-uri': '/check' };
    // Accepted by both before the logout.
    const before = new Map<unknown, number>();
    while (before.size < 2) {
      const r = await tagged(signer, port, '/verify', { headers: auth });
      before.set(r.worker, r.status);
    }
    expect([...before.values()]).toEqual([204, 204]);

    const logout = await tagged(signer, port, '/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(204);
    // The other worker hears of it through Redis pub/sub; within a second at most.
    const deadline = Date.now() + 1_000;
    let other: { status: number; worker: unknown } | undefined;
    while (!other && Date.now() < deadline) {
      const r = await tagged(signer, port, '/verify', { headers: auth });
      if (r.worker !== logout.worker && r.status === 401) other = r;
    }
    expect(other).toBeDefined();
    // And both keep refusing it.
    for (let i = 0; i < 4; i++) expect((await tagged(signer, port, '/verify', { headers: auth })).status).toBe(401);
  });

  it('answers GET /metrics on either worker with the sum of both', async () => {
    const noToken = async () => {
      const r = await tagged(signer, port, '/metrics');
      expect(r.status).toBe(200);
      const count = Number(/^tokengate_verify_total\{outcome="no_token"\} (\d+)$/m.exec(r.body)?.[1]);
      expect(r.body).toMatch(/^tokengate_signer_workers 2$/m);
      return { count, worker: r.worker };
    };
    const first = await noToken();
    const workers = new Set<unknown>();
    for (let i = 0; i < 6; i++) workers.add((await tagged(signer, port, '/verify')).worker);
    expect(workers.size).toBe(2);
    const after = [await noToken(), await noToken()];
    expect(new Set(after.map((a) => a.worker)).size).toBe(2);
    for (const a of after) expect(a.count).toBe(first.count + 6);
    // Other methods reach the app, which refuses them as without a cluster.
    expect((await fresh(port, '/metrics', { method: 'POST' })).status).toBe(405);
  });

  it('passes SIGHUP on to every worker: each reloads', async () => {
    const before = signer.lines().length;
    signer.child.kill('SIGHUP');
    for (const id of [1, 2]) await signer.waitForLine((l) => l.worker === id && l.reason === 'SIGHUP' && signer.lines().indexOf(l) >= before);
  });

  it('replaces a worker that was killed, and the new one serves', async () => {
    const victim = liveWorkers(signer).get(1)!;
    process.kill(victim, 'SIGKILL');
    const died = await signer.waitForLine((l) => l.msg === 'worker exited unexpectedly' && l.worker === 1);
    expect(died).toMatchObject({ level: 50, role: 'primary', signal: 'SIGKILL', pid: victim });
    await signer.waitForLine((l) => l.worker === 3 && l.msg === 'signer listening');
    expect(alive(victim)).toBe(false);
    expect([...liveWorkers(signer).keys()]).toEqual([2, 3]);
    const seen = new Set<unknown>();
    for (let i = 0; i < 8 && seen.size < 2; i++) seen.add((await tagged(signer, port, '/healthz')).worker);
    expect([...seen].sort()).toEqual([2, 3]);
  });

  it('on SIGTERM, stops every worker gracefully and exits 0, leaving no process', async () => {
    const pids = [signer.child.pid!, ...liveWorkers(signer).values()];
    signer.child.kill('SIGTERM');
    expect(await signer.exited).toBe(0);
    for (const id of [2, 3]) expect(signer.lines().some((l) => l.worker === id && l.msg === 'shut down')).toBe(true);
    for (const pid of pids) await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);
    expect(processesNaming(dir)).toEqual([]);
  });
});

describe('SIGNER_WORKERS without REDIS_URL', () => {
  it('exits 2 naming SIGNER_WORKERS and REDIS_URL, before forking anything', async () => {
    const dir = tempDir();
    const s = start(dir, signerEnv(dir, await testPort(), { SIGNER_WORKERS: '2' }));
    expect(await s.exited).toBe(2);
    expect(s.output()).toMatch(/^ {2}- SIGNER_WORKERS: .*REDIS_URL/m);
    expect(s.lines()).toEqual([]);
  });
});

describe.runIf(redisAvailable())('a SIGNER_WORKERS primary, failing', () => {
  const redis = useTestRedis();
  it("exits at once with its workers when the stack runner's channel closes", async () => {
    const dir = tempDir();
    const s = start(dir, signerEnv(dir, await testPort(), { SIGNER_WORKERS: '2', REDIS_URL: redis().url }), { ipc: true });
    await s.waitForLine(isMsg('signer workers listening'));
    expect(processesNaming(dir)).toHaveLength(3);
    s.child.disconnect();
    expect(await s.exited).toBe(0);
    await expect.poll(() => processesNaming(dir), { timeout: 3_000 }).toEqual([]);
  });

  it('gives up and exits 1 when replacements keep dying right after they start', async () => {
    const dir = tempDir();
    const s = start(dir, signerEnv(dir, await testPort(), { SIGNER_WORKERS: '2', REDIS_URL: redis().url }));
    await s.waitForLine(isMsg('signer workers listening'));
    // Each kill lands within seconds of that worker's start: three such deaths within a minute.
    for (const id of [1, 3, 4]) {
      const { pid } = await s.waitForLine((l) => l.msg === 'worker started' && l.worker === id);
      process.kill(pid as number, 'SIGKILL');
      await s.waitForLine((l) => l.msg === 'worker exited unexpectedly' && l.worker === id);
    }
    expect(await s.exited).toBe(1);
    expect(s.lines().some((l) => l.msg === 'workers keep dying soon after they start: giving up' && l.level === 60)).toBe(true);
    expect(s.lines().filter((l) => l.msg === 'worker started')).toHaveLength(4);
    await expect.poll(() => processesNaming(dir), { timeout: 5_000 }).toEqual([]);
  });

  it('exits 2, as one signer does, when the workers cannot start: a broken policy file', async () => {
    const dir = tempDir();
    const s = start(dir, signerEnv(dir, await testPort(), { SIGNER_WORKERS: '2', REDIS_URL: redis().url, POLICY_FILE: join(dir, 'missing-policy.yaml') }));
    expect(await s.exited).toBe(2);
    expect(s.lines().some((l) => l.msg === 'a worker exited before every worker was listening: stopping')).toBe(true);
    await expect.poll(() => processesNaming(dir), { timeout: 5_000 }).toEqual([]);
  });
});

describe.each(FRONTS)('npm start with SIGNER_WORKERS=2 and the %s front', (front) => {
  afterEach(cleanupRunners);

  it.runIf(redisAvailable() && frontAvailable(front))(
    'runs a private redis-server for the workers, serves through the gateway, and leaves nothing on SIGTERM',
    async () => {
      const runner = await spawnRunner({ FRONT: front, SIGNER_WORKERS: '2' });
      await runner.waitFor(runner.banner, 30_000);
      expect(runner.output()).toContain(
        `workers:    2 processes per ${front === 'embedded' ? 'front' : 'signer'}, on one port (SIGNER_WORKERS), sharing a private redis-server`,
      );
      // The stack is ready once the first worker answers; the second follows.
      await runner.waitFor(front === 'embedded' ? 'embedded front workers listening' : 'signer workers listening');
      const gateway = `http://127.0.0.1:${runner.ports.gateway}`;
      const token = await login(gateway, 'alice', 'wonderland');
      expect((await http(`${gateway}/check`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(processesNaming(runner.dir).length).toBeGreaterThanOrEqual(4);
      runner.child.kill('SIGTERM');
      expect(await runner.exited).toBe(0);
      await expect.poll(() => processesNaming(runner.dir), { timeout: 10_000 }).toEqual([]);
    },
  );
});
