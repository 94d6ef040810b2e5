import type { KindCount } from './types.js';

/** What bench/lua/wrk-counts.lua prints at the end of a wrk run. */
export interface WrkReport {
  answers: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  /** CPU the wrk process used, all threads, in seconds. */
  cpuS: number;
  socket: { connect: number; read: number; write: number; timeout: number };
  statuses: Record<string, number>;
  kinds: Record<string, KindCount>;
  /** Requests that sent a token again after the thread's whole list (0 without tokens). */
  repeats: number;
}

const FIELDS = /(\w+)=(\d+(?:\.\d+)?)/g;

/** name=value pairs of one line, as numbers. */
function fields(line: string): Record<string, number> {
  return Object.fromEntries([...line.matchAll(FIELDS)].map((m) => [m[1]!, Number(m[2])]));
}

/** Reads the `tg-bench` lines of wrk's output; throws, quoting nothing secret, when the run line is missing or incomplete. */
export function parseWrkReport(stdout: string): WrkReport {
  let run: Record<string, number> | undefined;
  const statuses: Record<string, number> = {};
  const kinds: Record<string, KindCount> = {};
  let repeats = 0;
  for (const line of stdout.split('\n')) {
    const [tag, what, ...rest] = line.trim().split(' ');
    if (tag !== 'tg-bench') continue;
    if (what === 'run') run = fields(line);
    else if (what === 'status' && rest.length === 2 && /^\d{3}$/.test(rest[0]!) && /^\d+$/.test(rest[1]!)) statuses[rest[0]!] = Number(rest[1]);
    else if (what === 'repeats' && rest.length === 1 && /^\d+$/.test(rest[0]!)) repeats = Number(rest[0]);
    else if (what === 'kind' && rest[0] !== undefined) {
      const f = fields(line);
      if (f.answers !== undefined && f.unexpected !== undefined) kinds[rest[0]] = { answers: f.answers, unexpected: f.unexpected };
    }
  }
  const need = ['answers', 'duration_us', 'p50_us', 'p99_us', 'cpu_s', 'connect', 'read', 'write', 'timeout'] as const;
  const missing = run === undefined ? ['the run line'] : need.filter((k) => run![k] === undefined);
  if (missing.length > 0) throw new Error(`wrk printed no complete report (missing ${missing.join(', ')}); is bench/lua/wrk-counts.lua intact?`);
  const r = run!;
  return {
    answers: r.answers!,
    durationUs: r.duration_us!,
    p50Us: r.p50_us!,
    p99Us: r.p99_us!,
    cpuS: r.cpu_s!,
    socket: { connect: r.connect!, read: r.read!, write: r.write!, timeout: r.timeout! },
    statuses,
    kinds,
    repeats,
  };
}
