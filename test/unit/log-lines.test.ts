import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, createLineFormatter } from '../../scripts/stack/log-lines.js';
import { createLogger } from '../../src/log/logger.js';

/** 09:05:03.042 local time, as the formatter prints it. */
const AT = new Date(2026, 11, 7, 9, 5, 3, 42);
const NOON = new Date(2026, 11, 7, 12, 0, 0, 0);
const pretty = createLineFormatter({ format: 'pretty', color: false, now: () => NOON });

const pino = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: AT.getTime(), service: 'tokengate', ...fields });

describe('LOG_FORMAT auto', () => {
  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('%s with a terminal: %s gives %s', (setting, tty, format) => {
    expect(chooseLogFormat(setting, tty)).toBe(format);
  });
});

describe("npm start's readable lines", () => {
  it("prints a pino line as time, level, process, message and its fields, without pino's own", () => {
    expect(pretty('signer', pino({ host: '127.0.0.1', port: 9000, msg: 'signer listening' }))).toBe(
      '09:05:03.042 INFO  signer   signer listening host=127.0.0.1 port=9000',
    );
  });

  it("reads the signer's request line as one: method, path, status, duration, then the request id", () => {
    const line = pino({ method: 'POST', path: '/login', status: 303, durationMs: 125.6, requestId: 'abc123', msg: 'request' });
    expect(pretty('signer-2', line)).toBe('09:05:03.042 INFO  signer-2 POST /login 303 126ms id=abc123');
  });

  it.each([
    [40, 'WARN '],
    [50, 'ERROR'],
    [60, 'FATAL'],
    [20, 'DEBUG'],
  ])('names pino level %i', (level, name) => {
    expect(pretty('signer', pino({ level, msg: 'x' }))).toBe(`09:05:03.042 ${name} signer   x`);
  });

  it('quotes text with spaces, joins lists, shows an error by its message and cuts long values', () => {
    const line = pino({
      level: 50,
      msg: 'store failed',
      reason: 'no route',
      kids: ['a', 'b'],
      empty: [],
      err: { type: 'Error', message: 'ECONNREFUSED', stack: 'at x' },
      long: 'x'.repeat(200),
    });
    expect(pretty('signer', line)).toBe(
      `09:05:03.042 ERROR signer   store failed reason="no route" kids=a,b empty=[] err=ECONNREFUSED long=${'x'.repeat(160)}...`,
    );
  });

  it("prints the demo app's bare JSON at the time it arrives, without a level", () => {
    expect(pretty('upstream', '{"msg":"authenticate","requestId":"r1","status":200}')).toBe('12:00:00.000       upstream authenticate status=200 id=r1');
  });

  it("reads nginx's access log line (log_format tokengate)", () => {
    const line = '127.0.0.1 [07/Dec/2026:00:07:52 +0000] "POST /login HTTP/1.1" 200 696 0.131 "curl/7.88.1" id=76aa3d93';
    expect(pretty('nginx', line)).toBe('12:00:00.000 INFO  nginx    POST /login 200 131ms bytes=696 addr=127.0.0.1 agent=curl/7.88.1 id=76aa3d93');
  });

  it("reads nginx's error log line, its level among the five", () => {
    expect(pretty('nginx', '2026/12/07 00:07:48 [notice] 12#12: *3 signal process started')).toBe('12:00:00.000 INFO  nginx    signal process started');
    expect(pretty('nginx', '2026/12/07 00:07:48 [emerg] 12#12: bind() failed')).toBe('12:00:00.000 FATAL nginx    bind() failed');
  });

  it('passes any other line through as it is', () => {
    expect(pretty('redis', '123:M 07 Dec 2026 00:07:48.123 * Ready to accept connections tcp')).toBe(
      '12:00:00.000       redis    123:M 07 Dec 2026 00:07:48.123 * Ready to accept connections tcp',
    );
    expect(pretty('signer', '{not json')).toBe('12:00:00.000       signer   {not json');
  });

  it('never prints a credential: fields named like one are masked at any depth, whatever the process wrote', () => {
    const line = JSON.stringify({
      msg: 'x',
      password: 'hunter2',
      token: 'eyJ.a.b',
      req: { headers: { authorization: 'Bearer eyJ', cookie: 'a=b' }, csrf: 'c' },
    });
    const out = pretty('upstream', line);
    for (const secret of ['hunter2', 'eyJ', 'a=b', '"c"']) expect(out).not.toContain(secret);
    expect(out).toContain('password=[redacted] token=[redacted]');
  });

  it("keeps the signer's own redaction: what pino censored stays censored", () => {
    const sink = new PassThrough();
    const written: string[] = [];
    sink.on('data', (c: Buffer) => written.push(...c.toString().trim().split('\n')));
    createLogger('info', sink).info({ password: 'hunter2', headers: { authorization: 'Bearer eyJ' } }, 'login');
    const out = pretty('signer', written[0] ?? '');
    expect(out).toContain('login password=[redacted] headers={"authorization":"[redacted]"}');
    expect(out).not.toMatch(/hunter2|eyJ/);
  });

  it("never passes a client's control characters to the terminal: a path with OSC 52 and a screen clear shows them as \\xNN", () => {
    const attack = '/admin/\x1b]52;c;aGFja2Vk\x07\x1b[2J\u009b1A';
    const out = pretty('signer', pino({ msg: 'policy refused', path: attack }));
    expect(out).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
    expect(out).toContain('\\x1b]52;c;aGFja2Vk\\x07\\x1b[2J\\x9b1A');
    const nginx = '2026/12/07 09:05:03 [error] 12#12: *3 limiting requests, client: 127.0.0.1, referrer: "http://x/\x1b[2J"';
    for (const format of ['pretty', 'json'] as const) {
      expect(createLineFormatter({ format, color: false, now: () => NOON })('nginx', nginx)).not.toContain('\x1b');
    }
  });

  it("masks a jwt= query value in nginx's request and referrer, in both formats", () => {
    const line = '2026/12/07 09:05:03 [error] 12#12: *3 denied, request: "GET /x?a=1&jwt=eyJhbGciOi.x.y HTTP/1.1", referrer: "http://h/?jwt=eyJz.a.b"';
    for (const format of ['pretty', 'json'] as const) {
      const out = createLineFormatter({ format, color: false, now: () => NOON })('nginx', line);
      expect(out).not.toContain('eyJ');
      expect(out).toContain('&jwt=[redacted] HTTP/1.1');
    }
  });

  it('colours the level and the process name on a terminal', () => {
    const colored = createLineFormatter({ format: 'pretty', color: true, now: () => NOON });
    expect(colored('signer', pino({ level: 40, msg: 'slow' }))).toBe('09:05:03.042 \x1b[33mWARN \x1b[0m \x1b[35msigner  \x1b[0m slow');
  });
});

describe("npm start's JSON lines", () => {
  it("print each process's own line after its name, as before", () => {
    const json = createLineFormatter({ format: 'json', color: false });
    const line = pino({ msg: 'signer listening' });
    expect(json('signer', line)).toBe(`signer   | ${line}`);
  });
});
