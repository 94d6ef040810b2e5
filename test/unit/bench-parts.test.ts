import { luaSupport } from '../../scripts/stack/lua-module.js';
import { describe, expect, it } from 'vitest';
import { describeBudget, deadlineS, estimateBudget } from '../../bench/budget.js';
import { FAST_APP_BODY, fastAppConf } from '../../bench/nginx/fast-app.js';
import { luaServerConf } from '../../bench/nginx/lua-nginx.js';
import { plainServerConf } from '../../bench/nginx/plain-nginx.js';
import { parseOptions } from '../../bench/options.js';
import { firstSightPerRound } from '../../bench/phases/first-sight.js';
import { SETUP_DEFS } from '../../bench/setups.js';
import { tablesOf } from '../../bench/tables.js';
import { summarize } from '../../bench/report/rows.js';
import { accessLogOff } from '../../scripts/stack/nginx.js';
import { cpuSecondsOfStat } from '../../bench/proc-cpu.js';
import { hotspots } from '../../bench/cpu-prof/hotspots.js';
import { metricValue, parseSignerMetrics, perLogin, perVerify } from '../../bench/signer-metrics.js';

const METRICS = `# HELP tokengate_login_total POST /login requests by outcome.
tokengate_login_total{outcome="success"} 40
tokengate_login_total{outcome="failed"} 2
tokengate_login_duration_seconds_sum 4.2
tokengate_login_duration_seconds_count 42
tokengate_verify_duration_seconds_bucket{le="0.001"} 900
tokengate_verify_duration_seconds_sum 0.5
tokengate_verify_duration_seconds_count 1000
process_cpu_seconds_total 12.5
process_resident_memory_bytes 104857600
`;

describe('the signer’s /metrics as the bench reads them', () => {
  it('reads plain and labelled samples, NaN for a missing one', () => {
    expect(metricValue(METRICS, 'tokengate_login_total', 'outcome="failed"')).toBe(2);
    expect(metricValue(METRICS, 'tokengate_verify_duration_seconds_count')).toBe(1000);
    expect(metricValue(METRICS, 'tokengate_nothing')).toBeNaN();
  });

  it('turns two samples into costs per /verify and per login', () => {
    const before = parseSignerMetrics(METRICS);
    const after = { ...before, verifyCount: 2000, verifySeconds: 0.6, loginSuccess: 50, loginCount: 52, loginSeconds: 5.2, cpuSeconds: 12.7 };
    expect(perVerify(before, after)).toEqual({ verifies: 1000, decisionUs: expect.closeTo(100, 6), cpuUs: expect.closeTo(200, 6), rssMiB: 100 });
    expect(perLogin(before, after)).toEqual({ logins: 10, cpuMs: expect.closeTo(20, 6), wallMs: expect.closeTo(100, 6) });
  });

  it('gives no cost when nothing happened', () => {
    const s = parseSignerMetrics(METRICS);
    expect(perVerify(s, s).cpuUs).toBeNaN();
    expect(perLogin(s, s).cpuMs).toBeNaN();
  });
});

describe('a process’s CPU from /proc/<pid>/stat', () => {
  it('adds utime and stime, whatever the command name holds', () => {
    const stat = '4242 (node (my app) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000';
    expect(cpuSecondsOfStat(stat)).toBe(3);
  });
});

describe('the time budget', () => {
  const opts = parseOptions([]);
  const withSetups = (o: ReturnType<typeof parseOptions>, setups: number) => tablesOf(o).map((t) => ({ ...t, setups }));

  it('keeps the default run of both tables of five setups under 14 minutes, and names each part', () => {
    const b = estimateBudget(opts, withSetups(opts, 5));
    expect(b.totalS).toBeLessThan(14 * 60);
    expect(Object.keys(b.parts)).toEqual([
      'fast start-up',
      'fast throughput',
      'fast first sight',
      'fast mix',
      'demo start-up',
      'demo throughput',
      'demo first sight',
      'demo mix',
      'memory',
      'logins',
    ]);
    expect(describeBudget(b)).toMatch(/^about \d+\.\d min \(fast start-up 20 s, fast throughput \d+ s/);
    expect(deadlineS(b)).toBeGreaterThan(b.totalS);
  });

  it('counts only the tables and parts asked for', () => {
    const o = parseOptions(['--only', 'logins,throughput', '--app', 'demo']);
    expect(Object.keys(estimateBudget(o, withSetups(o, 4)).parts)).toEqual(['demo start-up', 'demo throughput', 'logins']);
  });
});

describe('the tables', () => {
  it('runs the fast app first, as the issue measured it (one wrk thread, 64 connections), then the demo app', () => {
    expect(tablesOf(parseOptions([])).map((t) => [t.key, t.connections, t.threads])).toEqual([
      ['fast', 64, 1],
      ['demo', 50, expect.any(Number)],
    ]);
    expect(tablesOf(parseOptions(['--app', 'fast', '--connections', '8'])).map((t) => [t.key, t.connections])).toEqual([['fast', 8]]);
  });

  it('runs (f), the OpenResty front, wherever the Lua module is, and says what is missing elsewhere', () => {
    const f = SETUP_DEFS.find((d) => d.key === 'f');
    expect(f).toMatchObject({ checksTokens: true, remembersTokens: true });
    const lua = luaSupport();
    if (lua.ok) expect(f?.unavailable?.()).toBeUndefined();
    else expect(f?.unavailable?.()).toMatch(/--with-openresty/);
  });
});

describe('sizing the first-sight tokens', () => {
  const defs = SETUP_DEFS.filter((d) => ['a', 'b', 'c', 'e'].includes(d.key));
  const steady = (rates: Record<string, number>) =>
    Object.entries(rates).map(([key, rps]) =>
      summarize(key, key, [
        {
          requestsPerSec: rps,
          p50Ms: 1,
          p99Ms: 2,
          answers: 1,
          unexpected: 0,
          statuses: {},
          connectionErrors: 0,
          kinds: {},
          durationS: 1,
          repeats: 0,
          generatorCpuPct: 1,
        },
      ]),
    );

  it('sizes a round for the fastest setup that remembers tokens, at its one-token rate, with a margin', () => {
    // (a) and (e) keep nothing per token: their rates do not count.
    expect(firstSightPerRound(steady({ a: 40_000, b: 10_000, c: 20_000, e: 30_000 }), defs, 5_000, 3)).toBe(78_000);
  });

  it('falls back to the table’s guess without the one-token part, within bounds', () => {
    expect(firstSightPerRound(undefined, defs, 10_000, 2)).toBe(26_000);
    expect(firstSightPerRound(steady({ c: 1 }), defs, 10_000, 2)).toBe(1_000);
    expect(firstSightPerRound(steady({ c: 10_000_000 }), defs, 10_000, 60)).toBe(300_000);
  });
});

describe('the options', () => {
  it('runs every part by default, in their own order whatever order --only gives', () => {
    expect(parseOptions([]).phases).toEqual(['throughput', 'first-sight', 'mix', 'memory', 'logins']);
    expect(parseOptions(['--only', 'logins,mix,first-sight']).phases).toEqual(['first-sight', 'mix', 'logins']);
  });

  it('reads the defaults docs/benchmarks.md states', () => {
    expect(parseOptions([])).toMatchObject({
      app: 'both',
      generator: 'auto',
      duration: 5,
      firstDuration: 3,
      mixDuration: 5,
      rounds: 3,
      connections: undefined,
      mixUsers: 10000,
      memoryTokens: 100000,
      memoryDuration: 120,
    });
    expect(parseOptions(['--app', 'fast']).app).toBe('fast');
  });
});

describe('the bench-only nginx servers', () => {
  it('gives (a) a fixed identity, quoted, and drops a value that would need escaping', () => {
    const conf = plainServerConf(8081, '127.0.0.1:5000', { sub: 'alice', roles: 'admin,user', claims: 'a b' });
    expect(conf).toContain('proxy_set_header X-Auth-Sub "alice";');
    expect(conf).toContain('proxy_set_header X-Auth-Roles "admin,user";');
    expect(conf).toContain('proxy_set_header X-Auth-Claims "";');
    // The template's own app pool, whatever its settings.
    expect(conf).toMatch(/upstream tokengate_app \{\s+server 127.0.0.1:5000;[^}]*keepalive \d+;/);
    expect(conf).toContain('proxy_pass http://tokengate_app;');
  });

  it('gives (e) the Lua check with the signer’s settings as Lua literals, and the identity it finds', () => {
    const conf = luaServerConf({
      prefixDir: '/tmp/p',
      port: 8082,
      upstreamAddr: '127.0.0.1:5000',
      verify: { secretFile: '/tmp/w/"s"/jwt-secret', issuer: 'tokengate', audience: undefined, clockSkewS: 30 },
    });
    expect(conf).toContain('lua_package_path "/tmp/p/lua/?.lua;;";');
    expect(conf).toContain(
      'init_by_lua_block { require("hs256_verify").init({ secret_file = "/tmp/w/\\"s\\"/jwt-secret", issuer = "tokengate", audience = nil, clock_skew_s = 30 }) }',
    );
    expect(conf).toContain('access_by_lua_block { require("hs256_verify").access() }');
    expect(conf).toContain('proxy_set_header X-Auth-Sub $tg_sub;');
    expect(conf).toContain('error_page 401 = @unauthorized;');
  });
});

describe('the fast app and the access log', () => {
  it('answers the fixed body to any path, with no access log', () => {
    const conf = fastAppConf(8083);
    expect(conf).toContain('listen 127.0.0.1:8083;');
    expect(conf).toContain('access_log off;');
    expect(conf).toContain(`return 200 '${FAST_APP_BODY}\\n';`);
    expect(JSON.parse(FAST_APP_BODY)).toMatchObject({ ok: true });
  });

  it('turns the main config’s access log off, and says so when it has none', () => {
    expect(accessLogOff('http {\n    include tokengate.conf;\n    access_log /dev/stdout tokengate;\n}\n')).toBe(
      'http {\n    include tokengate.conf;\n    access_log off;\n}\n',
    );
    expect(() => accessLogOff('http {}\n')).toThrow(/no access_log/);
  });
});

describe('summing up a CPU profile', () => {
  it('ranks functions by their share of the busy samples, the nodes of one function added up', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '0' });
    const profile = {
      startTime: 0,
      endTime: 1000,
      nodes: [
        { id: 1, callFrame: frame('(root)'), hitCount: 0 },
        { id: 2, callFrame: frame('(idle)'), hitCount: 900 },
        { id: 3, callFrame: frame('jwtVerify', 'file:///w/node_modules/jose/dist/verify.js', 9), hitCount: 30 },
        { id: 4, callFrame: frame('jwtVerify', 'file:///w/node_modules/jose/dist/verify.js', 9), hitCount: 20 },
        { id: 5, callFrame: frame('check', 'file:///w/dist/src/auth/check.js', 0), hitCount: 40 },
        { id: 6, callFrame: frame('(garbage collector)'), hitCount: 10 },
      ],
    };
    expect(hotspots(profile, 2)).toEqual([
      { name: 'jwtVerify (jose/dist/verify.js:10)', selfPct: 50 },
      { name: 'check (src/auth/check.js:1)', selfPct: 40 },
    ]);
  });
});
