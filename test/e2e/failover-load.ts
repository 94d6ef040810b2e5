import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// Steady, bounded load through nginx for the failover suite: protected requests with tokens
// issued before the fault, and writers that log in, refresh and log out in turn, each from a
// loopback address of its own (nginx allows 5 /login, /refresh and /logout a second per address).

export interface Reply {
  status: number;
  retryAfter: string | undefined;
  text: string;
  json: () => unknown;
}

/** What kind of request one sample was. */
export type Kind = 'protected' | 'login' | 'refresh' | 'logout';

export interface Sample {
  kind: Kind;
  /** When it was answered, in ms since the fault (negative: before it). */
  at: number;
  status: number;
  retryAfter: string | undefined;
  /** The same step failed just before: a refresh refused now may be one whose rotation did happen (see `Summary.reusedRetries`). */
  retry?: boolean;
}

export interface Tokens {
  token: string;
  refresh_token: string;
}

/** A logout answered 204: from then on its access token, session and refresh token must be refused everywhere. */
export interface AckedLogout extends Tokens {
  at: number;
}

const agents = new Map<string, Agent>();
const agentFor = (from: string) => {
  let agent = agents.get(from);
  if (!agent) agents.set(from, (agent = new Agent({ keepAlive: true, maxSockets: 4 })));
  return agent;
};

/** One HTTP request from loopback address `from`, read to the end. */
export function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Reply> {
  const from = opts.from ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: agentFor(from), localAddress: from, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          text,
          json: () => JSON.parse(text) as unknown,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Closes the keep-alive connections. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const USERS = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
];

export const login = (base: string, user = USERS[0]!, from?: string) =>
  send(`${base}/login`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(user), ...(from ? { from } : {}) });
export const refresh = (base: string, refreshToken: string, from?: string) =>
  send(`${base}/refresh`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ refresh_token: refreshToken }), ...(from ? { from } : {}) });
export const logout = (base: string, token: string, from?: string) =>
  send(`${base}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, ...(from ? { from } : {}) });
export const check = (base: string, token: string) => send(`${base}/check`, { headers: { authorization: `Bearer ${token}` } });
export const verifyAt = (signer: string, token: string) =>
  send(`${signer}/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/check' } });

/** The payload of a token we issued. */
export const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; sid: string; sub: string; iat: number };

export interface LoadOptions {
  base: string;
  /** Access tokens issued before the fault, for the protected requests. */
  pool: string[];
  /** Loopback addresses the writers send from, one writer each. */
  writers: string[];
  /** Parallel loops of protected requests. */
  readers?: number;
}

/**
 * Runs the load until `scenario` resolves; `scenario` gets `fault()`, to call at the moment the
 * fault happens (time zero of every sample). Bounded: every loop stops when the scenario ends.
 */
export async function underLoad(opts: LoadOptions, scenario: (fault: () => void) => Promise<void>): Promise<{ samples: Sample[]; acked: AckedLogout[] }> {
  const samples: Sample[] = [];
  const acked: AckedLogout[] = [];
  let zero = performance.now();
  let running = true;
  const at = () => Math.round(performance.now() - zero);
  const record = (kind: Kind, reply: Reply, retry = false) =>
    samples.push({ kind, at: at(), status: reply.status, retryAfter: reply.retryAfter, ...(retry ? { retry } : {}) });
  const failed = (kind: Kind) => samples.push({ kind, at: at(), status: 0, retryAfter: undefined });

  const reader = async (n: number) => {
    for (let i = n; running; i++) {
      const reply = await check(opts.base, opts.pool[i % opts.pool.length]!).catch(() => undefined);
      if (reply) record('protected', reply);
      else failed('protected');
      await sleep(20);
    }
  };
  // login → refresh → logout, again and again; a failed step is tried again at the next turn.
  const writer = async (from: string, n: number) => {
    let tokens: Tokens | undefined;
    let refreshed = false;
    let retry = false;
    for (let turn = n; running; turn++) {
      const started = performance.now();
      const kind: Kind = !tokens ? 'login' : !refreshed ? 'refresh' : 'logout';
      const reply: Reply | undefined = await (kind === 'login'
        ? login(opts.base, USERS[turn % 2], from)
        : kind === 'refresh'
          ? refresh(opts.base, tokens!.refresh_token, from)
          : logout(opts.base, tokens!.token, from)
      ).catch(() => undefined);
      if (!reply) failed(kind);
      else {
        record(kind, reply, retry);
        if (kind === 'login' && reply.status === 200) tokens = reply.json() as Tokens;
        else if (kind === 'refresh' && reply.status === 200) [tokens, refreshed] = [reply.json() as Tokens, true];
        else if (kind === 'logout' && reply.status === 204) {
          acked.push({ ...tokens!, at: at() });
          [tokens, refreshed] = [undefined, false];
        } else if (kind === 'refresh' && reply.status === 401) [tokens, refreshed] = [undefined, false];
      }
      retry = reply?.status !== (kind === 'logout' ? 204 : 200);
      // 4 a second per address, under nginx's 5.
      await sleep(Math.max(0, 250 - (performance.now() - started)));
    }
  };
  const loops = [...Array.from({ length: opts.readers ?? 3 }, (_, i) => reader(i)), ...opts.writers.map((from, i) => writer(from, i))];
  try {
    await scenario(() => {
      const moved = performance.now() - zero;
      zero = performance.now();
      for (const s of samples) s.at -= Math.round(moved);
      for (const a of acked) a.at -= Math.round(moved);
    });
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return { samples, acked };
}

/** What a phase measured, for the report and the assertions. */
export interface Summary {
  protected: { sent: number; failed: number; failedAt: number[] };
  writes: Record<'login' | 'refresh' | 'logout', { sent: number; failed: number }>;
  /** The first and last failed write, ms since the fault; undefined when none failed. */
  writeFailures: { first: number; last: number } | undefined;
  /**
   * Failed writes that were neither a 503 with Retry-After nor a `reusedRetries` one.
   */
  uncleanWrites: Sample[];
  /**
   * Refreshes refused (401) when retried after a 503: the master died after running the rotation
   * but before a replica acknowledged it, the replica had it all the same (asynchronous
   * replication usually wins the race), so the retry presents a rotated-away token: reuse, and
   * the session ends. Whether the write happened is unknowable to the signer at that moment; it
   * errs on the side of ending the session.
   */
  reusedRetries: number;
}

const reusedRetry = (s: Sample) => s.kind === 'refresh' && s.status === 401 && s.retry === true;

export function summarize(samples: Sample[]): Summary {
  const ok = (s: Sample) => (s.kind === 'logout' ? s.status === 204 : s.status === 200);
  const protectedOnes = samples.filter((s) => s.kind === 'protected');
  const writes = samples.filter((s) => s.kind !== 'protected');
  const failedWrites = writes.filter((s) => !ok(s));
  const count = (kind: 'login' | 'refresh' | 'logout') => {
    const of = writes.filter((s) => s.kind === kind);
    return { sent: of.length, failed: of.filter((s) => !ok(s)).length };
  };
  return {
    protected: {
      sent: protectedOnes.length,
      failed: protectedOnes.filter((s) => !ok(s)).length,
      failedAt: protectedOnes.filter((s) => !ok(s)).map((s) => s.at),
    },
    writes: { login: count('login'), refresh: count('refresh'), logout: count('logout') },
    writeFailures:
      failedWrites.length === 0 ? undefined : { first: Math.min(...failedWrites.map((s) => s.at)), last: Math.max(...failedWrites.map((s) => s.at)) },
    uncleanWrites: failedWrites.filter((s) => (s.status !== 503 || s.retryAfter === undefined) && !reusedRetry(s)),
    reusedRetries: failedWrites.filter(reusedRetry).length,
  };
}

/** One line per phase for the console: what the docs quote. */
export function report(phase: string, summary: Summary, extra: Record<string, unknown> = {}): void {
  const w = summary.writes;
  const window = summary.writeFailures ? `${summary.writeFailures.first}..${summary.writeFailures.last} ms after the fault` : 'none';
  console.log(
    [
      `[failover] ${phase}`,
      `  protected requests: ${summary.protected.failed} failed of ${summary.protected.sent}`,
      `  logins: ${w.login.failed} failed of ${w.login.sent}; refreshes: ${w.refresh.failed} of ${w.refresh.sent}; logouts: ${w.logout.failed} of ${w.logout.sent}`,
      `  failed writes: ${window}${summary.uncleanWrites.length > 0 ? ` (${summary.uncleanWrites.length} not a clean 503 + Retry-After)` : summary.writeFailures ? ', each a 503 with Retry-After' : ''}`,
      ...(summary.reusedRetries > 0
        ? [`  refreshes refused as reuse when retried after a 503 (the rotation had reached the replica): ${summary.reusedRetries}`]
        : []),
      ...Object.entries(extra).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
    ].join('\n'),
  );
}
