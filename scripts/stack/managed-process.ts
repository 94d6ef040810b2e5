import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync, readSync, statSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves true once the process serves; polled until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
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
  kill(): void;
}

const KEEP_LINES = 200;

/** Starts the process in its own process group and waits until it is ready, or fails with its output. */
export async function startProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  const stdoutFd = spec.stdoutFile ? openSync(spec.stdoutFile, 'a') : undefined;
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'], detached: true });
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
    kill: () => killGroup(child, 'SIGKILL'),
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

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (done) throw new Error(`${spec.name} exited (${String(await exited)}) before it was ready:\n${managed.recentOutput()}`);
    if (await spec.ready().catch(() => false)) return managed;
    await sleep(50);
  }
  await managed.stop();
  throw new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs ?? 15_000} ms:\n${managed.recentOutput()}`);
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

/** Calls `onLine` for each line appended to the file, until the returned function is called. */
function followFile(path: string, onLine: (line: string) => void): () => void {
  let offset = statSync(path).size;
  let partial = '';
  const read = () => {
    // The file may be gone when a test already removed its directory.
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    try {
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
    } catch {
      return;
    }
    offset = size;
    const parts = (partial + buf.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
  const timer = setInterval(read, 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    read();
  };
}

/** True once anything answers HTTP at the URL (any status). */
export async function answersHttp(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await res.body?.cancel();
  return true;
}
