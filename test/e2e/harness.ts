import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { findNginx } from '../../scripts/stack/nginx.js';
import { luaSupport } from '../../scripts/stack/lua-module.js';
import { testPort, testPorts } from '../fixtures/ports.js';
import { startStack, type FrontKind, type Stack } from '../../scripts/stack/stack.js';

export const CI = process.env.CI === 'true' || process.env.CI === '1';

/** Every front runs the same contract; nginx (and its Lua module) are required under CI and skipped (loudly) elsewhere without them. */
export const FRONTS: FrontKind[] = ['nginx', 'openresty', 'embedded'];

export function frontAvailable(front: FrontKind): boolean {
  if (front === 'embedded') return true;
  const nginx = findNginx(process.env.NGINX_BIN) !== undefined;
  const lua = front !== 'openresty' || luaSupport().ok;
  if (nginx && lua) return true;
  const missing = nginx ? "nginx's Lua module (npm run install-deps -- --with-openresty)" : 'nginx (npm run install-deps)';
  if (CI) throw new Error(`the ${front} front needs ${missing} under CI=true; .ci/run installs it`);
  console.warn(`SKIPPING the ${front} end-to-end suite: ${missing} is not installed`);
  return false;
}

export interface TestStack extends Stack {
  workDir: string;
  /** KEYS_DIR of the signers: `env.KEYS_DIR`, else `keys/` in workDir (never the repository's secrets/keys). */
  keysDir: string;
  /** The signing secret the signer generated on first start. */
  secret(): string;
  cleanup(): Promise<void>;
}

export interface LaunchOptions {
  /** Signer processes behind nginx (on consecutive ports). */
  signerInstances?: number;
  /** Start a private redis-server and point the signers at it. */
  redis?: boolean;
  /** Where protected traffic goes instead of the demo app (which still answers the logins). */
  app?: { host: string; port: number };
}

/** Starts the real processes on free ports in a fresh temporary directory. */
export async function launch(front: FrontKind, env: Record<string, string> = {}, opts: LaunchOptions = {}): Promise<TestStack> {
  const workDir = mkdtempSync(join(tmpdir(), `tokengate-e2e-${front}-`));
  const instances = opts.signerInstances ?? 1;
  const [gateway, signer, upstream, redis] = await Promise.all([testPort(), testPorts(instances), testPort(), testPort()]);
  // The signers run in the repository root, where the default KEYS_DIR would be shared by every stack.
  const keysDir = env.KEYS_DIR ?? join(workDir, 'keys');
  let stack: Stack;
  try {
    stack = await startStack({
      front,
      workDir,
      gateway: { host: '127.0.0.1', port: gateway },
      signer: { host: '127.0.0.1', port: signer },
      signerInstances: instances,
      ...(opts.redis ? { redis: { port: redis } } : {}),
      upstream: { host: '127.0.0.1', port: upstream },
      ...(opts.app ? { app: opts.app } : {}),
      // CLIENTS_DIR too: a client registered in the repository's secrets/clients is no stack's.
      env: { LOG_LEVEL: 'info', CLIENTS_DIR: join(workDir, 'clients'), ...env, KEYS_DIR: keysDir },
      nginxBin: process.env.NGINX_BIN,
    });
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  // The children also hold an IPC channel to this worker: should it die before cleanup, they
  // (and nginx, through its guard) exit on their own.
  return {
    ...stack,
    workDir,
    keysDir,
    secret: () => readFileSync(join(workDir, 'secrets', 'jwt-secret'), 'utf8').trim(),
    cleanup: async () => {
      try {
        await stack.stop();
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Waits before a request to /login, /refresh or /logout so they stay under nginx's limit_req
 * (5 requests a second per address); other paths pass at once.
 */
export function loginPacer(): (path: string) => Promise<void> {
  let last = 0;
  return async (path) => {
    if (!/^\/(?:login|refresh|logout)(?:\?|$)/.test(path)) return;
    const wait = last + 220 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    last = Date.now();
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

/** One HTTP request to the stack; the body is always read so connections are reused. */
export async function http(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Logs in with JSON and returns the token. */
export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await http(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return (res.json() as { token: string }).token;
}

export interface RawReply {
  status: number;
  head: string;
  body: string;
}

/** Sends bytes exactly as given (HTTP/1.0, missing Host, odd header bytes) and reads the whole answer. */
export function rawHttp(base: string, request: string): Promise<RawReply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : text.slice(split + 4) });
    });
  });
}

/** How many /verify calls a signer has answered, whatever the outcome, from its /metrics. */
export async function verifyCalls(signerUrl: string): Promise<number> {
  const text = (await http(`${signerUrl}/metrics`)).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith('tokengate_verify_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
}
