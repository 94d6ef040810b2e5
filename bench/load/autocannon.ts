import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT } from '../../scripts/stack/paths.js';
import { isExpected, type Expected, type KindCount, type LoadGenerator, type LoadSpec, type RunResult } from './types.js';

/** The expectation of the request a connection has in flight (autocannon keeps one context per connection). */
interface InFlight {
  expect?: Expected;
  kind?: string;
}

/** Counts answers by kind, and those that were not what their request expected. */
function counter() {
  const kinds: Record<string, KindCount> = {};
  return {
    kinds,
    record(kind: string, expect: Expected, status: number) {
      const k = (kinds[kind] ??= { answers: 0, unexpected: 0 });
      k.answers++;
      if (!isExpected(expect, status)) k.unexpected++;
    },
  };
}

/** The request list: one fixed request, or one that takes the next token of the mix each time (`sent` counts them). */
function requestsOf(spec: LoadSpec, count: ReturnType<typeof counter>, sent: { n: number }): autocannon.Request[] {
  const base = { method: spec.method ?? 'GET', ...(spec.body !== undefined ? { body: spec.body } : {}) } as const;
  const tokens = spec.tokens;
  if (!tokens) {
    const expect = spec.expect ?? 0;
    return [{ ...base, onResponse: (status: number) => count.record('fixed', expect, status) }];
  }
  return [
    {
      ...base,
      setupRequest: (req, context) => {
        const t = tokens[sent.n++ % tokens.length]!;
        Object.assign(context as InFlight, { expect: t.expect, kind: t.kind });
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${t.token}` } };
      },
      onResponse: (status, _body, context) => {
        const c = context as InFlight;
        count.record(c.kind ?? 'unknown', c.expect ?? 0, status);
      },
    },
  ];
}

/** autocannon inside the bench's own Node process (on the cores it measures): the fallback when wrk is absent. */
export function createAutocannon(): LoadGenerator {
  const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
  let current: autocannon.Instance | undefined;
  return {
    name: 'autocannon',
    description: `autocannon ${version} (in the bench's own Node process, on the same cores)`,
    stop: () => current?.stop(),
    run: (spec) => {
      const cpuBefore = process.cpuUsage();
      const count = counter();
      const sent = { n: 0 };
      return new Promise<RunResult>((resolve, reject) => {
        current = autocannon(
          {
            url: spec.url,
            headers: spec.headers ?? {},
            connections: spec.connections,
            duration: spec.duration,
            pipelining: 1,
            timeout: 10,
            requests: requestsOf(spec, count, sent),
          },
          (err, r) => {
            current = undefined;
            if (err) return reject(err instanceof Error ? err : new Error(String(err)));
            const cpu = process.cpuUsage(cpuBefore);
            const answers = Object.values(count.kinds).reduce((sum, k) => sum + k.answers, 0);
            const unexpected = Object.values(count.kinds).reduce((sum, k) => sum + k.unexpected, 0);
            resolve({
              requestsPerSec: (answers - unexpected) / r.duration,
              p50Ms: r.latency.p50,
              p99Ms: r.latency.p99,
              answers,
              unexpected,
              statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0])),
              connectionErrors: r.errors,
              kinds: count.kinds,
              durationS: r.duration,
              repeats: spec.tokens ? Math.max(0, sent.n - spec.tokens.length) : 0,
              generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / r.duration) * 100,
            });
          },
        );
      });
    },
  };
}
