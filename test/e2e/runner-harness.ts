import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../scripts/stack/paths.js';
import { testPort, testPorts } from '../fixtures/ports.js';

/** True when nothing accepts connections on 127.0.0.1:port. */
export const portIsClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

export interface RunnerPorts {
  gateway: number;
  signer: number;
  upstream: number;
}

/** Free ports from this worker's block (test/fixtures/ports.ts): the signer's first of `signers` consecutive ones (SIGNER_INSTANCES). */
export async function freePorts(signers = 1): Promise<RunnerPorts> {
  const [gateway, signer, upstream] = await Promise.all([testPort(), testPorts(signers), testPort()]);
  return { gateway, signer, upstream };
}

/** `npm start` (or its script alone) running in a test: its output, its exit, its ports. */
export interface Runner {
  child: ChildProcess;
  dir: string;
  ports: RunnerPorts;
  /** The banner's first line, printed once the stack serves. */
  banner: string;
  output(): string;
  /** Resolves with the exit code, or the signal's name when it was killed. */
  exited: Promise<number | string>;
  /** Resolves once the output contains `text`; fails if the runner exits first or time runs out. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Under a pseudo-terminal (`tty`): types Ctrl-C on it, as a person stops `npm start`. */
  interrupt?: () => void;
}

const runners: Runner[] = [];

/**
 * Starts `node dist/scripts/start.js`, or the real `npm start`, with a clean environment plus
 * `env`: free ports (unless given), RUN_DIR, the secret and the key ring in a temporary directory.
 */
export async function spawnRunner(env: Record<string, string>, opts: { npm?: boolean; ports?: RunnerPorts; tty?: boolean } = {}): Promise<Runner> {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-runner-'));
  // npm start puts signer i on SIGNER_PORT + i - 1: every one of them must be free.
  const ports = opts.ports ?? (await freePorts(Number(env.SIGNER_INSTANCES ?? 1)));
  const [program, programArgs] = opts.npm ? ['npm', ['start']] : [process.execPath, [join(ROOT, 'dist/scripts/start.js')]];
  // `tty`: under a pseudo-terminal, as in a person's terminal: util-linux `script` runs it there,
  // relays its output, and passes SIGTERM on to it.
  const [command, args] = opts.tty ? ['script', ['-qfec', `exec ${[program, ...programArgs].map(shellQuote).join(' ')}`, '/dev/null']] : [program, programArgs];
  // Its own process group, so cleanup can end npm, sh and start.js together by the group id.
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      GATEWAY_PORT: String(ports.gateway),
      SIGNER_PORT: String(ports.signer),
      UPSTREAM_URL: `http://127.0.0.1:${ports.upstream}`,
      RUN_DIR: join(dir, 'run'),
      JWT_SECRET_FILE: join(dir, 'jwt-secret'),
      KEYS_DIR: join(dir, 'keys'),
      ...env,
    },
  });
  let out = '';
  let ended = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (c: Buffer) => {
      out += c.toString();
      notify();
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      ended = true;
      notify();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const waitFor = (text: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (out.includes(text)) finish();
        else if (ended) finish(new Error(`the runner exited before printing "${text}":\n${out}`));
      };
      const timer = setTimeout(() => finish(new Error(`no "${text}" within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      listeners.add(check);
      check();
    });
  const runner: Runner = { child, dir, ports, banner: `tokengate is running at http://127.0.0.1:${ports.gateway}`, output: () => out, exited, waitFor };
  if (opts.tty) runner.interrupt = () => child.stdin?.write('\x03');
  runners.push(runner);
  return runner;
}

/**
 * For afterEach: ends what is left of every runner's process group (npm, sh, start.js; the
 * stack's children follow start.js through their IPC channels) and removes its directory.
 */
export async function cleanupRunners(): Promise<void> {
  for (const r of runners.splice(0)) {
    // Under `script` the runner leads a session of its own, which the group signal below never
    // reaches (and the terminal's hangup only reloads its keys): Ctrl-C stops it.
    if (r.interrupt) {
      r.interrupt();
      await Promise.race([r.exited, sleep(10_000)]);
    }
    if (r.child.pid !== undefined && signalGroup(r.child.pid, 'SIGTERM')) {
      for (let i = 0; i < 100 && signalGroup(r.child.pid, 0); i++) await sleep(100);
      signalGroup(r.child.pid, 'SIGKILL');
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
}

/** One word for `sh -c`. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Signals the process group led by `pid`; false when none of it is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
