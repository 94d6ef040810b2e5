/** The answer a request must get: any 2xx (`0`), or one exact status. */
export type Expected = 0 | number;

/** One credential of a token mix and the answer it must get; `kind` groups the counts. */
export interface MixToken {
  token: string;
  kind: string;
  expect: Expected;
}

/** One measured run: where, what, how hard, how long. */
export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  /** Sent with every request (a fixed Authorization, a Content-Type...). */
  headers?: Record<string, string>;
  body?: string;
  /** The answer every request must get when there is no token mix (default: any 2xx). */
  expect?: Expected;
  /**
   * A token mix: each request sends the next one as `Authorization: Bearer`, and its answer is
   * checked against that token's own expectation.
   */
  tokens?: readonly MixToken[];
  connections: number;
  /**
   * wrk threads when every request expects the same answer, or with `echo` (default: one per
   * core). Else a mix of expectations runs one connection per thread.
   */
  threads?: number;
  /**
   * The app echoes the request's X-Tg-Seq header (the fast app does), so wrk can match each pass
   * to its token on any connection (see bench/lua/wrk-counts.lua).
   */
  echo?: boolean;
  /** Seconds. */
  duration: number;
}

/** Answers of one kind of request, and how many of them were not what that kind expects. */
export interface KindCount {
  answers: number;
  unexpected: number;
}

/** What one run came to. */
export interface RunResult {
  /** Answers as expected, per second. */
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Every answer received. */
  answers: number;
  /** Answers with another status than the one expected: the "errors". */
  unexpected: number;
  /** Every answer by status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts: no answer at all. */
  connectionErrors: number;
  /** The counts by kind of request (`fixed` without a token mix). */
  kinds: Record<string, KindCount>;
  durationS: number;
  /** Requests that sent a token of `tokens` again, after every one had been sent once (0 without tokens). */
  repeats: number;
  /** CPU the load generator used, in % of one core: near 100 × its threads means it, not the setup, was the limit. */
  generatorCpuPct: number;
}

/** A load generator: wrk (a process of its own) or autocannon (inside the bench's Node process). */
export interface LoadGenerator {
  readonly name: 'wrk' | 'autocannon';
  /** Name, version and how it runs, for the results header. */
  readonly description: string;
  run(spec: LoadSpec): Promise<RunResult>;
  /** Stops a run in progress (Ctrl-C); it then rejects or ends early. */
  stop(): void;
}

/** Whether `status` is what `expect` asks for. */
export const isExpected = (expect: Expected, status: number): boolean => (expect === 0 ? status >= 200 && status < 300 : status === expect);
