import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { logLoginEvent } from '../../src/throttle/login-log.js';
import { testConfig } from '../fixtures/config.js';
import {
  dateRegexSource,
  FAIL2BAN_TAGS,
  fail2banAvailable,
  fail2banMatcher,
  findFail2banRegex,
  pythonDefinitions,
  readDefinition,
} from '../fixtures/fail2ban.js';
import { capturingLogger, testKey } from '../fixtures/signer.js';
import { answer, startStubUpstream, type StubUpstream } from '../fixtures/upstream-stub.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const FILTER = join(ROOT, 'deploy/fail2ban/filter.d/tokengate.conf');
const JAIL = join(ROOT, 'deploy/fail2ban/jail.d/tokengate.local');
const definition = readDefinition(FILTER);
const matcher = fail2banMatcher(definition);

/**
 * Sign-in attempts from clients (their X-Real-IP, as nginx sets it) with usernames that try to
 * make the filter see another address. Each is refused twice by the app and then throttled.
 */
const ATTEMPTS: { realIp: string; client: string; username: string }[] = [
  { realIp: '203.0.113.7', client: '203.0.113.7', username: 'alice' },
  { realIp: '2001:db8::7', client: '2001:db8::7', username: 'bob' },
  { realIp: '::ffff:198.51.100.9', client: '198.51.100.9', username: 'carol' },
  { realIp: '203.0.113.8', client: '203.0.113.8', username: 'x","client":"6.6.6.6' },
  { realIp: '203.0.113.9', client: '203.0.113.9', username: 'x","event":"login_failed","client":"6.6.6.6","user":"y' },
  { realIp: '203.0.113.10', client: '203.0.113.10', username: 'x\\","client":"6.6.6.6","user":"\\' },
  { realIp: '203.0.113.11', client: '203.0.113.11', username: '6.6.6.6' },
  { realIp: '203.0.113.12', client: '203.0.113.12', username: '{"level":40,"time":1893456000000,"event":"login_failed","client":"6.6.6.6","user":"z"}' },
  {
    realIp: '203.0.113.13',
    client: '203.0.113.13',
    username: 'é\u2028{"level":40,"time":1893456000000,"event":"login_failed","client":"6.6.6.6","user":"\u0085',
  },
  { realIp: '203.0.113.14', client: '203.0.113.14', username: `${'a'.repeat(60)}","client":"6.6.6.6` },
];
const TRIES_EACH = 3;

/** Usernames the login routes refuse (400) before anything is logged, written through the log function itself. */
const UNSENDABLE: { client: string; username: string }[] = [
  { client: '203.0.113.20', username: 'x\n{"level":40,"time":1893456000000,"event":"login_failed","client":"6.6.6.6","user":"y"}' },
  { client: '203.0.113.21', username: 'x\r{"level":40,"event":"login_throttled","client":"6.6.6.6","user":"' },
  { client: '2001:db8::21', username: '\u0000\u001b[2K","client":"6.6.6.6' },
];

let stub: StubUpstream;
/** Every line the signer wrote. */
const lines: string[] = [];
/** The lines fail2ban must count, each with the client it must extract. */
let events: { line: string; client: string; user: string }[] = [];

beforeAll(async () => {
  stub = await startStubUpstream();
  stub.respond(answer(401, { error: 'invalid_credentials' }));
  const { logger } = capturingLogger(lines);
  const app = createApp(testConfig({ AUTHENTICATE_URL: stub.url, LOGIN_MAX_FAILURES_PER_USER: '2' }), { logger, key: await testKey() });
  for (const a of ATTEMPTS) {
    for (let i = 0; i < TRIES_EACH; i++)
      await request(app).post('/login').set('X-Real-IP', a.realIp).send({ username: a.username, password: 'hunter2-secret' });
  }
  // A newline cannot even reach the log through the routes...
  for (const u of UNSENDABLE) expect((await request(app).post('/login').send({ username: u.username, password: 'x' })).status).toBe(400);
  // ...and through the log function, it is replaced.
  for (const u of UNSENDABLE) logLoginEvent(logger, 'login_failed', { client: u.client, user: u.username });
  // Lines fail2ban must not count: another level, another event.
  logger.info({ event: 'login_failed', client: '6.6.6.6', user: 'x' }, 'login failed');
  logger.warn({ event: 'login_succeeded', client: '6.6.6.6', user: 'x' }, 'not a failure');
  events = lines
    .map((line) => ({ line: line.trimEnd(), json: JSON.parse(line) as Record<string, unknown> }))
    .filter(({ json }) => json.level === 40 && (json.event === 'login_failed' || json.event === 'login_throttled'))
    .map(({ line, json }) => ({ line, client: String(json.client), user: String(json.user) }));
});
afterAll(async () => {
  await stub?.close();
});

describe('the log lines the signer writes', () => {
  it('are one per failed and per throttled attempt, each a single line', () => {
    expect(events).toHaveLength(ATTEMPTS.length * TRIES_EACH + UNSENDABLE.length);
    for (const { line } of events) expect(line).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
    expect(lines.join('')).not.toContain('hunter2-secret');
  });

  it('put the event, then the client, then the username, right after the logger fields', () => {
    for (const { line } of events)
      expect(line).toMatch(/^\{"level":40,"time":\d{13},"service":"tokengate","event":"login_(?:failed|throttled)","client":"[^"]+","user":"/);
  });
});

describe('the fail2ban filter, translated to a JS RegExp', () => {
  it('matches every failed and throttled attempt, extracting the real client', () => {
    const expected = [...ATTEMPTS.flatMap((a) => Array<string>(TRIES_EACH).fill(a.client)), ...UNSENDABLE.map((u) => u.client)];
    expect(events.map((e) => matcher(e.line)?.ip)).toEqual(expected);
  });

  it('never extracts an address a username spelled', () => {
    for (const line of lines) expect(matcher(line.trimEnd())?.ip).not.toBe('6.6.6.6');
  });

  it('captures the username as logged (F-USER), still JSON-escaped', () => {
    for (const e of events) expect(JSON.parse(`"${matcher(e.line)?.groups.user ?? ''}"`)).toBe(e.user);
  });

  it('matches the same lines read from the systemd journal ("<host> <unit>[<pid>]: <line>")', () => {
    for (const e of events) expect(matcher(`gw1 node[4242]: ${e.line}`)?.ip).toBe(e.client);
  });

  it('ignores other levels and other events', () => {
    const others = lines.map((l) => l.trimEnd()).filter((l) => !events.some((e) => e.line === l));
    expect(others.length).toBeGreaterThanOrEqual(2);
    for (const line of others) expect(matcher(line)).toBeUndefined();
  });

  it.each([
    [
      'a forged line start inside a value',
      '{"level":40,"time":1893456000000,"service":"tokengate","event":"login_succeeded","client":"203.0.113.1","user":"{\\"level\\":40,\\"event\\":\\"login_failed\\",\\"client\\":\\"6.6.6.6\\",\\"user\\":\\"x\\"}","msg":"x"}',
    ],
    [
      'a line that does not start with the JSON',
      'x {"level":40,"time":1893456000000,"service":"tokengate","event":"login_failed","client":"6.6.6.6","user":"x"}',
    ],
  ])('does not match %s', (_name, line) => {
    expect(matcher(line)).toBeUndefined();
  });
});

describe.runIf(fail2banAvailable())('the fail2ban filter, run by fail2ban-regex', () => {
  const bin = findFail2banRegex()!;
  let dir: string;
  let logFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokengate-f2b-'));
    logFile = join(dir, 'signer.log');
    writeFileSync(logFile, lines.join(''));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) => execFileSync(bin, args, { encoding: 'utf8', timeout: 30_000 });

  it('uses the tag and date definitions this test translates', () => {
    const python = pythonDefinitions(bin, definition.datepattern!);
    expect(python.tags).toEqual(FAIL2BAN_TAGS);
    expect(python.date).toBe(dateRegexSource(definition.datepattern!));
  });

  it('matches exactly the failed and throttled attempts and extracts their real clients, in order', () => {
    const summary = run(logFile, FILTER);
    expect(summary).toMatch(new RegExp(`Lines: ${lines.length} lines, 0 ignored, ${events.length} matched, ${lines.length - events.length} missed`));
    expect(run('-o', 'ip', logFile, FILTER).trim().split('\n')).toEqual(events.map((e) => e.client));
  });

  it("reads pino's epoch milliseconds as the time of each line", () => {
    const times = [...run('-o', 'row', logFile, FILTER).matchAll(/^\['[^']+',\s+([\d.]+),/gm)].map((m) => Number(m[1]));
    expect(times).toHaveLength(events.length);
    const nowS = Date.now() / 1000;
    for (const t of times) expect(Math.abs(t - nowS)).toBeLessThan(600);
  });

  it('matches the journal form of the lines too', () => {
    const journal = join(dir, 'journal.log');
    writeFileSync(journal, events.map((e) => `gw1 node[4242]: ${e.line}\n`).join(''));
    expect(run('-o', 'ip', journal, FILTER).trim().split('\n')).toEqual(events.map((e) => e.client));
  });

  it.runIf(existsSync('/etc/fail2ban/jail.conf'))('loads the example jail with the filter (fail2ban-client -d)', () => {
    const conf = join(dir, 'etc');
    cpSync('/etc/fail2ban', conf, { recursive: true });
    rmSync(join(conf, 'jail.d'), { recursive: true, force: true });
    cpSync(FILTER, join(conf, 'filter.d/tokengate.conf'));
    // The example's log path, pointed at this test's log so the jail can start.
    cpSync(JAIL, join(conf, 'jail.d/tokengate.local'));
    const jail = join(conf, 'jail.d/tokengate.local');
    writeFileSync(jail, readFileSync(jail, 'utf8').replace(/^logpath\s*=.*$/m, `logpath  = ${logFile}`));
    const dump = execFileSync(join(dirname(bin), 'fail2ban-client'), ['-c', conf, '-d'], { encoding: 'utf8', timeout: 30_000 });
    const commands = dump.split('\n').filter((l) => l.includes("'tokengate'"));
    expect(commands).toContain("['add', 'tokengate', 'auto']");
    expect(commands).toContain("['set', 'tokengate', 'datepattern', '(?<=\"time\":){LEPOCH}']");
    expect(commands).toContain("['set', 'tokengate', 'maxretry', 10]");
    expect(commands).toContain(`['set', 'tokengate', 'addlogpath', '${logFile}', 'head']`);
    expect(commands.some((c) => c.startsWith("['set', 'tokengate', 'addfailregex',"))).toBe(true);
    expect(commands.some((c) => c.startsWith("['set', 'tokengate', 'addaction', 'nftables-multiport'"))).toBe(true);
  });
});
