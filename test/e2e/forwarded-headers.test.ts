import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEARED_HEADERS, HOP_BY_HOP_HEADERS, VALID_HEADER_NAME } from '../../src/front/forwarded-headers.js';
import { frontAvailable, launch, login, rawHttp, type RawReply, type TestStack } from './harness.js';

// The same hostile requests through nginx and through the embedded front, each to a recording
// app of its own: what reaches the app must be the same, header by header, but for the few
// differences listed below with their reasons (issue 14).

/** What the app received: one request, its headers line by line as they came. */
interface Arrival {
  method: string;
  url: string;
  rawHeaders: string[];
}

/** The protected app of this suite: records every request, answers 200 JSON. */
async function startRecorder(): Promise<{ server: Server; address: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  // Outlives nginx's upstream keepalive_timeout (60 s), so nginx never reuses a closed connection.
  const server = createServer({ keepAliveTimeout: 75_000 }, (req, res) => {
    arrivals.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals };
}

// /api/** for any user, DELETE there for admins only: bob's GET must never become a DELETE.
const POLICY = `default: deny
rules:
  - path: /api/**
    allow: authenticated
  - path: /api/**
    methods: [DELETE]
    anyRole: [admin]
  - path: /public/**
    allow: public
`;

/** A request as raw bytes, for a front whose bob holds `bob`; `\n` becomes CRLF. */
type Probe = [name: string, request: (bob: string) => string];

const crlf = (text: string) => text.replace(/\n/g, '\r\n');
const get = (target: string, headers: string, version = '1.1') => crlf(`GET ${target} HTTP/${version}\n${headers}\n`);

/** Requests that pass the check: the app must receive the same through both fronts. */
const FORWARDED: Probe[] = [
  [
    'every cleared header, with a value',
    (bob) =>
      get(
        '/api/items',
        `Host: gateway.test\nAuthorization: Bearer ${bob}\n${CLEARED_HEADERS.map((n, i) => `${n}: spoofed-${i}\n`).join('')}Connection: close\n`,
      ),
  ],
  [
    'spoofed forwarding headers and request id',
    (bob) =>
      get(
        '/api/items',
        `Host: gateway.test\nAuthorization: Bearer ${bob}\nX-Forwarded-For: 198.51.100.1\nX-Forwarded-Proto: https\nX-Forwarded-Host: evil.example\nForwarded: for=198.51.100.1;proto=https;host=evil.example\nX-Real-IP: 198.51.100.1\nX-Request-Id: chosen-by-the-client\nConnection: close\n`,
      ),
  ],
  [
    'identity names with `.` and `_`',
    (bob) =>
      get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nX.Auth.Sub: alice\nX_Auth_Sub: alice\nX_Auth_Roles: admin\nConnection: close\n`),
  ],
  [
    'a Connection header naming another header',
    (bob) => get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nConnection: close, X-Secret\nX-Secret: s3cret\n`),
  ],
  [
    'hop-by-hop headers',
    (bob) =>
      get(
        '/api/items',
        `Host: gateway.test\nAuthorization: Bearer ${bob}\nKeep-Alive: timeout=5\nTE: trailers\nUpgrade: websocket\nProxy-Connection: keep-alive\nConnection: Upgrade, close\n`,
      ),
  ],
  [
    'a custom header sent three times',
    (bob) => get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nX-Dup: 1\nX-Dup: 2\nx-dup: 3\nConnection: close\n`),
  ],
  ['Host: Example.COM:8080', (bob) => get('/api/items', `Host: Example.COM:8080\nAuthorization: Bearer ${bob}\nConnection: close\n`)],
  ['Host: example.com.', (bob) => get('/api/items', `Host: example.com.\nAuthorization: Bearer ${bob}\nConnection: close\n`)],
  ['Host: [::1]:8080', (bob) => get('/api/items', `Host: [::1]:8080\nAuthorization: Bearer ${bob}\nConnection: close\n`)],
  ['HTTP/1.0 without Host', (bob) => get('/api/items', `Authorization: Bearer ${bob}\n`, '1.0')],
  [
    'session cookies among other cookies',
    (bob) =>
      get(
        '/api/items',
        `Host: gateway.test\nAuthorization: Bearer ${bob}\nCookie: tg_access=x.y.z; theme=dark; __Host-tg_refresh=r\nCookie: lang=en;tg_csrf=c\nConnection: close\n`,
      ),
  ],
  [
    'a session cookie sent twice',
    (bob) => get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nCookie: theme=dark; __Host-tg_access=a; tg_access=b\nConnection: close\n`),
  ],
  ['?jwt= among other parameters', (bob) => get(`/api/items?a=1&jwt=${bob}&b=2&&c`, 'Host: gateway.test\nConnection: close\n')],
  ['?jwt= first', (bob) => get(`/api/items?jwt=${bob}&x=1`, 'Host: gateway.test\nConnection: close\n')],
  [
    "a method override on bob's GET",
    (bob) =>
      get(
        '/api/items/1',
        `Host: gateway.test\nAuthorization: Bearer ${bob}\nX-HTTP-Method-Override: DELETE\nX-Method-Override: DELETE\nX-HTTP-Method: DELETE\nConnection: close\n`,
      ),
  ],
  ['a public path without identity', () => get('/public/page', 'Host: gateway.test\nConnection: close\n')],
  ['a public path with identity', (bob) => get('/public/page', `Host: gateway.test\nAuthorization: Bearer ${bob}\nConnection: close\n`)],
  [
    'a body with its length',
    (bob) =>
      crlf(
        `POST /api/upload HTTP/1.1\nHost: gateway.test\nAuthorization: Bearer ${bob}\nContent-Type: text/plain\nContent-Length: 3\nConnection: close\n\nabc`,
      ),
  ],
  ['a POST without a body', (bob) => crlf(`POST /api/upload HTTP/1.1\nHost: gateway.test\nAuthorization: Bearer ${bob}\nConnection: close\n\n`)],
  [
    'a chunked body',
    (bob) =>
      crlf(`POST /api/upload HTTP/1.1\nHost: gateway.test\nAuthorization: Bearer ${bob}\nTransfer-Encoding: chunked\nConnection: close\n\n3\nabc\n0\n\n`),
  ],
  [
    'Expect: 100-continue with a token',
    (bob) =>
      crlf(`POST /api/upload HTTP/1.1\nHost: gateway.test\nAuthorization: Bearer ${bob}\nContent-Length: 3\nExpect: 100-continue\nConnection: close\n\nabc`),
  ],
  ['an Expect nobody knows', (bob) => get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nExpect: something-else\nConnection: close\n`)],
];

/** Requests refused before the app: the same status and JSON code from both, and nothing arrives. */
const REFUSED: [name: string, request: (bob: string) => string, status: number, code: string][] = [
  ['TRACE on a public path', () => get('/public/page', 'Host: gateway.test\nConnection: close\n').replace(/^GET/, 'TRACE'), 405, 'method_not_allowed'],
  [
    'TRACE with a token',
    (bob) => get('/api/items', `Host: gateway.test\nAuthorization: Bearer ${bob}\nConnection: close\n`).replace(/^GET/, 'TRACE'),
    405,
    'method_not_allowed',
  ],
  ['CONNECT to a path', () => get('/public/page', 'Host: gateway.test\nConnection: close\n').replace(/^GET/, 'CONNECT'), 405, 'method_not_allowed'],
  ['CONNECT to host:port', () => get('gateway.test:443', 'Host: gateway.test:443\nConnection: close\n').replace(/^GET/, 'CONNECT'), 400, 'invalid_request'],
  ['a method in lower case', () => get('/public/page', 'Host: gateway.test\nConnection: close\n').replace(/^GET/, 'get'), 400, 'invalid_request'],
  [
    "bob's own DELETE",
    (bob) => get('/api/items/1', `Host: gateway.test\nAuthorization: Bearer ${bob}\nConnection: close\n`).replace(/^GET/, 'DELETE'),
    403,
    'forbidden',
  ],
  ['HTTP/1.1 without Host', () => get('/public/page', 'Connection: close\n'), 400, 'invalid_request'],
  ['two Host headers', () => get('/public/page', 'Host: gateway.test\nHost: evil.example\nConnection: close\n'), 400, 'invalid_request'],
  ['Host: a..b', () => get('/public/page', 'Host: a..b\nConnection: close\n'), 400, 'invalid_request'],
  ['an empty Host', () => get('/public/page', 'Host:\nConnection: close\n'), 400, 'invalid_request'],
  [
    'Transfer-Encoding: gzip, chunked',
    () => crlf('POST /public/page HTTP/1.1\nHost: gateway.test\nTransfer-Encoding: gzip, chunked\nConnection: close\n\n0\n\n'),
    501,
    'not_implemented',
  ],
  ['chunked over HTTP/1.0', () => crlf('POST /public/page HTTP/1.0\nHost: gateway.test\nTransfer-Encoding: chunked\n\n0\n\n'), 400, 'invalid_request'],
  ['HTTP/2.0 on a plain request line', () => get('/public/page', 'Host: gateway.test\n', '2.0'), 505, 'http_version_not_supported'],
];

/**
 * Every difference allowed between what the two fronts send the app, with its reason: [probe,
 * header, what nginx sends, what the embedded front sends]. Anything else that differs fails. A
 * difference a client could steer (a header of its choosing, another method, path, host or
 * address) is a hole to fix in the front, never a row here.
 */
const ALLOWED_DIFFERENCES: [probe: string, header: string, nginx: string[], embedded: string[], reason: string][] = [
  [
    'HTTP/1.0 without Host',
    'host',
    ['tokengate_app'],
    ['<app address>'],
    "nginx names its upstream block ($proxy_host), the embedded front the app's own address",
  ],
  ['a chunked body', 'content-length', ['3'], [], 'nginx reads the whole body before proxying (proxy_request_buffering) and sends its length'],
  ['a chunked body', 'transfer-encoding', [], ['chunked'], 'the embedded front streams the body on as it comes, chunked'],
];

interface Seen {
  status: number;
  code: string | undefined;
  arrivals: Arrival[];
}

/** The final answer's status and JSON code (after a `100 Continue`, if any). */
function answerOf(reply: RawReply): { status: number; code: string | undefined } {
  const text = reply.status === 100 ? reply.body : `${reply.head}\r\n\r\n${reply.body}`;
  const split = text.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  let code: string | undefined;
  try {
    code = (JSON.parse(text.slice(split + 4)) as { error?: string }).error;
  } catch {
    code = undefined;
  }
  return { status, code };
}

/** Lowercased name → every value, in order; the per-run values made comparable. */
function headersOf(arrival: Arrival, appAddress: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < arrival.rawHeaders.length; i += 2) {
    const name = arrival.rawHeaders[i]!.toLowerCase();
    let value = arrival.rawHeaders[i + 1]!;
    // Each front makes its own id, and each stack signs its own token: compared by shape.
    if (name === 'x-request-id') value = /^[0-9a-f]{32}$/.test(value) ? '<request id>' : `<not a request id: ${value}>`;
    if (name === 'x-auth-claims') {
      const claims = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { sub: string; roles: string[] };
      value = `<claims of ${claims.sub} (${claims.roles.join(',')})>`;
    }
    if (value === appAddress) value = '<app address>';
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return headers;
}

const nginxAvailable = frontAvailable('nginx') && frontAvailable('openresty');

describe.skipIf(!nginxAvailable)('what reaches the app through nginx, the OpenResty front and the embedded front', () => {
  const fronts = ['nginx', 'openresty', 'embedded'] as const;
  type Front = (typeof fronts)[number];
  const stacks = {} as Record<Front, TestStack>;
  const recorders = {} as Record<Front, Awaited<ReturnType<typeof startRecorder>>>;
  const bob = {} as Record<Front, string>;
  let policyDir: string;

  beforeAll(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'tokengate-forwarded-'));
    writeFileSync(join(policyDir, 'policy.yaml'), POLICY);
    await Promise.all(
      fronts.map(async (front) => {
        recorders[front] = await startRecorder();
        const [host, port] = recorders[front].address.split(':') as [string, string];
        stacks[front] = await launch(front, { POLICY_FILE: join(policyDir, 'policy.yaml') }, { app: { host, port: Number(port) } });
        bob[front] = await login(stacks[front].url, 'bob', 'builder');
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(fronts.map((f) => stacks[f]?.cleanup()));
    for (const f of fronts) {
      recorders[f]?.server.closeAllConnections();
      recorders[f]?.server.close();
    }
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  /** Sends the probe through one front; what it answered and what reached its app. */
  async function send(front: Front, request: (bob: string) => string): Promise<Seen> {
    const before = recorders[front].arrivals.length;
    const reply = await rawHttp(stacks[front].url, request(bob[front]));
    return { ...answerOf(reply), arrivals: recorders[front].arrivals.slice(before) };
  }

  describe.each(FORWARDED)('%s', (probe, request) => {
    const seen = {} as Record<Front, Seen>;
    beforeAll(async () => {
      for (const front of fronts) seen[front] = await send(front, request);
    });

    it('reaches the app once through each front', () => {
      for (const front of fronts) {
        expect(seen[front].status, front).toBe(200);
        expect(seen[front].arrivals, front).toHaveLength(1);
      }
    });

    it('arrives the same through the OpenResty front as through nginx, to the byte', () => {
      const [n, o] = [seen.nginx.arrivals[0]!, seen.openresty.arrivals[0]!];
      expect({ method: o.method, url: o.url }).toEqual({ method: n.method, url: n.url });
      const sorted = (m: Map<string, string[]>) => [...m].flatMap(([name, values]) => values.map((v) => [name, v])).sort();
      expect(sorted(headersOf(o, recorders.openresty.address))).toEqual(sorted(headersOf(n, recorders.nginx.address)));
    });

    it('arrives the same through the embedded front, but for the listed differences', () => {
      const [n, e] = [seen.nginx.arrivals[0]!, seen.embedded.arrivals[0]!];
      expect({ method: e.method, url: e.url }).toEqual({ method: n.method, url: n.url });
      const nginx = headersOf(n, recorders.nginx.address);
      const embedded = headersOf(e, recorders.embedded.address);
      for (const [, header, fromNginx, fromEmbedded] of ALLOWED_DIFFERENCES.filter(([p]) => p === probe)) {
        expect(nginx.get(header) ?? [], `nginx ${header}`).toEqual(fromNginx);
        expect(embedded.get(header) ?? [], `embedded ${header}`).toEqual(fromEmbedded);
        nginx.delete(header);
        embedded.delete(header);
      }
      const sorted = (m: Map<string, string[]>) => [...m].flatMap(([name, values]) => values.map((v) => [name, v])).sort();
      expect(sorted(embedded)).toEqual(sorted(nginx));
    });

    it('carries none of what the client may not decide, through either front', () => {
      const clientWrote = request('<token>');
      const method = clientWrote.slice(0, clientWrote.indexOf(' '));
      for (const front of fronts) {
        const arrival = seen[front].arrivals[0]!;
        const headers = headersOf(arrival, recorders[front].address);
        const names = [...headers.keys()];
        expect(arrival.method, front).toBe(method);
        expect(arrival.url, front).not.toMatch(/jwt=/);
        for (const name of names) expect(name, front).toMatch(VALID_HEADER_NAME);
        const forbidden = [...CLEARED_HEADERS, ...HOP_BY_HOP_HEADERS, 'Authorization'].map((n) => n.toLowerCase());
        // A body's own framing is the front's: its length, or (the embedded front) chunked.
        const framing = probe === 'a chunked body' && front === 'embedded' ? ['transfer-encoding'] : ['content-length'];
        expect(
          names.filter((n) => forbidden.includes(n) && !framing.includes(n)),
          front,
        ).toEqual([]);
        expect(headers.get('x-forwarded-for'), front).toEqual(['127.0.0.1']);
        expect(headers.get('x-real-ip'), front).toEqual(['127.0.0.1']);
        expect(headers.get('x-forwarded-proto'), front).toEqual(['http']);
        expect(headers.get('x-request-id'), front).toEqual(['<request id>']);
        expect(headers.get('x-forwarded-host') ?? headers.get('host'), front).toEqual(headers.get('host'));
        for (const value of headers.get('cookie') ?? []) expect(value, front).not.toMatch(/tg_(?:access|refresh|csrf)/);
        // Identity comes from the signer only: bob's, or none on a public path.
        expect(headers.get('x-auth-sub') ?? [], front).toEqual(probe.startsWith('a public path') ? [] : ['bob']);
        expect(
          names.filter((n) => n.startsWith('x-auth-') && !['x-auth-sub', 'x-auth-roles', 'x-auth-claims', 'x-auth-kind'].includes(n)),
          front,
        ).toEqual([]);
      }
    });
  });

  describe('the facts each probe is about', () => {
    it.each<[string, string, string[] | undefined]>([
      ['Host: Example.COM:8080', 'host', ['example.com:8080']],
      ['Host: example.com.', 'host', ['example.com']],
      ['Host: [::1]:8080', 'host', ['[::1]:8080']],
      ['Host: [::1]:8080', 'x-forwarded-host', ['[::1]:8080']],
      ['HTTP/1.0 without Host', 'x-forwarded-host', undefined],
      ['a Connection header naming another header', 'x-secret', ['s3cret']],
      ['a custom header sent three times', 'x-dup', ['1', '2', '3']],
      ['session cookies among other cookies', 'cookie', ['theme=dark; lang=en']],
      ['a session cookie sent twice', 'cookie', undefined],
      ['a body with its length', 'content-length', ['3']],
      ['a POST without a body', 'content-length', undefined],
      ['Expect: 100-continue with a token', 'x-auth-sub', ['bob']],
      ['Expect: 100-continue with a token', 'expect', undefined],
      ["a method override on bob's GET", 'x-http-method-override', undefined],
    ])('%s: the app gets %s %j through both', async (probe, header, values) => {
      const request = FORWARDED.find(([p]) => p === probe)![1];
      for (const front of fronts) {
        const { arrivals } = await send(front, request);
        expect(headersOf(arrivals[0]!, recorders[front].address).get(header), front).toEqual(values);
      }
    });

    it('forwards the path and query the signer judged, without jwt= and nothing else touched', async () => {
      for (const front of fronts) {
        const { arrivals } = await send(front, FORWARDED.find(([p]) => p === '?jwt= among other parameters')![1]);
        expect(arrivals[0]!.url, front).toBe('/api/items?a=1&b=2&&c');
      }
    });
  });

  it.each(REFUSED)('answers %s alike, before the app', async (_name, request, status, code) => {
    for (const front of fronts) {
      const seen = await send(front, request);
      expect({ front, status: seen.status, code: seen.code }).toEqual({ front, status, code });
      expect(seen.arrivals, front).toEqual([]);
    }
  });
});
