import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { followFile } from './follow-file.js';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves true once the process serves; polled until `readyTimeoutMs`. `signal` ends one attempt. */
  ready: (signal: AbortSignal) => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Every output line, e.g. to print with a prefix. */
  onLine?: (line: string) => void;
  /** A file that receives all output. */
  logFile?: string;
  /** The signal for a graceful stop (nginx wants SIGQUIT). */
  stopSignal?: NodeJS.Signals;
  /**
   * Give the child a regular file as stdout instead of a pipe, and follow it. nginx needs this:
   * it re-opens /dev/stdout for its access log, which fails on the socket Node uses for pipes.
   */
  stdoutFile?: string;
  /**
   * Open an IPC channel to a Node child. It closes when this process ends, however it ends (even
   * SIGKILL), and the child exits on its `disconnect`: nothing outlives the runner.
   */
  ipc?: boolean;
  /** Aborting it while the process is not yet ready stops the process and rejects with the reason. */
  signal?: AbortSignal;
}

/** A child process with its output kept, a readiness check, and a stop that always ends it. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The last lines it wrote, for error messages. */
  recentOutput(): string;
  /** Resolves with the exit code (or signal name) when it ends. */
  readonly exited: Promise<number | string>;
  stop(timeoutMs?: number): Promise<void>;
}

const KEEP_LINES = 200;
const PROBE_TIMEOUT_MS = 1_000;

/** Starts the process in its own process group and waits until it is ready, or fails with its output. */
export async function startProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  spec.signal?.throwIfAborted();
  const stdoutFd = spec.stdoutFile ? openSync(spec.stdoutFile, 'a') : undefined;
  const stdio: StdioOptions = ['ignore', stdoutFd ?? 'pipe', 'pipe', ...(spec.ipc ? ['ipc' as const] : [])];
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio, detached: true });
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  const lines: string[] = [];
  const file: WriteStream | undefined = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a' }) : undefined;
  const collect = (line: string) => {
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.shift();
    file?.write(`${line}\n`);
    spec.onLine?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', collect);
  const unfollow = spec.stdoutFile ? followFile(spec.stdoutFile, collect) : undefined;

  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      collect(`${spec.name}: ${err.message}`);
      done = true;
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  void exited.then(() =>
    setTimeout(() => {
      unfollow?.();
      file?.end();
    }, 50),
  );

  const managed: ManagedProcess = {
    name: spec.name,
    pid: child.pid ?? -1,
    recentOutput: () => lines.join('\n'),
    exited,
    stop: async (timeoutMs = 5_000) => {
      if (done) return;
      killGroup(child, spec.stopSignal ?? 'SIGTERM');
      const ended = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
      if (!ended) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
    },
  };

  const limit = spec.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + limit;
  const exitedEarly = async (when: string) => new Error(`${spec.name} exited (${String(await exited)}) ${when}:\n${managed.recentOutput()}`);
  while (Date.now() < deadline) {
    if (spec.signal?.aborted) {
      await managed.stop();
      throw spec.signal.reason;
    }
    if (done) throw await exitedEarly('before it was ready');
    const attempt = spec.signal ? AbortSignal.any([spec.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) : AbortSignal.timeout(PROBE_TIMEOUT_MS);
    if (await spec.ready(attempt).catch(() => false)) {
      // Whatever answered was not this process if it is gone: another server holds its address.
      if (done) throw await exitedEarly('although its address answered (is something else listening there?)');
      if (!spec.signal?.aborted) return managed;
      continue;
    }
    await sleep(50);
  }
  await managed.stop();
  throw new Error(`${spec.name} was not ready within ${limit} ms:\n${managed.recentOutput()}`);
}

/** Signals the whole group, so nginx workers never outlive their master. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** True once anything answers HTTP at the URL (any status). */
export async function answersHttp(url: string, signal: AbortSignal): Promise<boolean> {
  const res = await fetch(url, { signal });
  await res.body?.cancel();
  return true;
}
