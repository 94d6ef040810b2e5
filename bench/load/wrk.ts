import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../scripts/stack/find-executable.js';
import { ROOT } from '../../scripts/stack/paths.js';
import { parseWrkReport } from './wrk-report.js';
import type { LoadGenerator, LoadSpec, MixToken, RunResult } from './types.js';

const SCRIPT = join(ROOT, 'bench', 'lua', 'wrk-counts.lua');

/** wrk from PATH or where Debian installs it; undefined when absent. */
export const findWrk = (): string | undefined => findExecutable('wrk', '/usr/bin/wrk');

/**
 * Threads for a run: one per connection with a token mix whose tokens expect different answers
 * and an app that echoes nothing, so each answer belongs to the one request its thread has in
 * flight (wrk's Lua does not say which connection answered); else `spec.threads`, by default one
 * per core (wrk's usual setting), never more than the connections.
 */
export function wrkThreads(spec: Pick<LoadSpec, 'tokens' | 'connections' | 'threads' | 'echo'>): number {
  if (spec.tokens && !spec.echo && mixedAnswers(spec.tokens)) return spec.connections;
  return Math.min(spec.connections, Math.max(1, spec.threads ?? cpus().length));
}

/** Whether the tokens expect more than one kind of answer (or count as more than one kind). */
const mixedAnswers = (tokens: readonly MixToken[]): boolean => tokens.some((t) => t.expect !== tokens[0]!.expect || t.kind !== tokens[0]!.kind);

/** The mix's lines (`<expect> <kind> <token>`), dealt round-robin into one file's worth per thread. */
export function splitTokens(tokens: readonly MixToken[], threads: number): string[][] {
  const out: string[][] = Array.from({ length: threads }, () => []);
  tokens.forEach((t, i) => {
    out[i % threads]!.push(`${t.expect} ${t.kind} ${t.token}`);
  });
  return out;
}

/** wrk run as a child process with bench/lua/wrk-counts.lua; request files go to `scratchDir` (mode 0600). */
export function createWrk(bin: string, scratchDir: string): LoadGenerator {
  const dir = join(scratchDir, 'wrk');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written = new WeakMap<readonly MixToken[], Map<number, string>>();
  let files = 0;
  let current: ChildProcess | undefined;
  const file = (name: string, content: string) => {
    const path = join(dir, `${++files}-${name}`);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  /** One file per thread, written once per mix and thread count (the same mix drives several setups). */
  const tokenFiles = (tokens: readonly MixToken[], threads: number) => {
    const byThreads = written.get(tokens) ?? new Map<number, string>();
    written.set(tokens, byThreads);
    let prefix = byThreads.get(threads);
    if (prefix === undefined) {
      prefix = join(dir, `${++files}-mix`);
      splitTokens(tokens, threads).forEach((lines, i) => {
        writeFileSync(`${prefix}-${i}.txt`, `${lines.join('\n')}\n`, { mode: 0o600 });
      });
      byThreads.set(threads, prefix);
    }
    return prefix;
  };

  return {
    name: 'wrk',
    description: `${wrkVersion(bin)} (a process of its own, with a Lua script that checks every answer's status)`,
    stop: () => current?.kill('SIGTERM'),
    run: (spec) => {
      const threads = wrkThreads(spec);
      const headers = Object.entries(spec.headers ?? {})
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('');
      // Credentials go in files, never on the command line where `ps` would show them.
      const scriptArgs = [
        `expect=${spec.expect ?? 0}`,
        ...(headers ? [`headers=${file('headers', headers)}`] : []),
        ...(spec.method ? [`method=${spec.method}`] : []),
        ...(spec.body !== undefined ? [`body=${file('body', spec.body)}`] : []),
        ...(spec.tokens ? [`tokens=${tokenFiles(spec.tokens, threads)}`] : []),
        ...(spec.tokens && spec.echo ? ['echo=1'] : []),
      ];
      const args = [
        '-t',
        String(threads),
        '-c',
        String(spec.connections),
        '-d',
        `${spec.duration}s`,
        '--timeout',
        '10s',
        '--latency',
        '-s',
        SCRIPT,
        spec.url,
        ...scriptArgs,
      ];
      // Past the run and the reading of its token files, something is wrong: end it and say so.
      const limitS = Math.ceil(spec.duration + 30 + (spec.tokens?.length ?? 0) / 5_000);
      return new Promise<RunResult>((resolve, reject) => {
        const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        current = child;
        let overdue = false;
        const timer = setTimeout(() => {
          overdue = true;
          child.kill('SIGKILL');
        }, limitS * 1000);
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
        child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
        child.once('error', reject);
        child.once('close', (code, signal) => {
          current = undefined;
          clearTimeout(timer);
          if (overdue)
            return reject(
              new Error(`wrk did not end within ${limitS} s of a ${spec.duration} s run against ${spec.url}, so the bench ended it: ${stderr.trim()}`),
            );
          if (code !== 0) return reject(new Error(`wrk ended with ${code ?? signal}: ${stderr.trim()}`));
          try {
            resolve(toResult(parseWrkReport(stdout)));
          } catch (err) {
            reject(new Error(`${(err as Error).message}\n${stderr.trim()}`));
          }
        });
      });
    },
  };
}

function toResult(r: ReturnType<typeof parseWrkReport>): RunResult {
  const durationS = r.durationUs / 1e6;
  const unexpected = Object.values(r.kinds).reduce((sum, k) => sum + k.unexpected, 0);
  return {
    requestsPerSec: (r.answers - unexpected) / durationS,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    answers: r.answers,
    unexpected,
    statuses: r.statuses,
    connectionErrors: r.socket.connect + r.socket.read + r.socket.write + r.socket.timeout,
    kinds: r.kinds,
    durationS,
    repeats: r.repeats,
    generatorCpuPct: (r.cpuS / durationS) * 100,
  };
}

/** "wrk 4.1.0" as `wrk -v` says it. */
function wrkVersion(bin: string): string {
  const run = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return /wrk (\S+)/.exec(`${run.stdout ?? ''}${run.stderr ?? ''}`)?.[0] ?? 'wrk (unknown version)';
}
