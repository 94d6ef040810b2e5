import type { RequestListener } from 'node:http';
import request from 'supertest';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { TEST_SECRET, testConfig } from '../fixtures/config.js';
import { capturingLogger, testKey } from '../fixtures/signer.js';
import { answer, startStubUpstream, unusedUrl, type StubUpstream } from '../fixtures/upstream-stub.js';

const PASSWORD = 'Pw-7f3c9e-do-not-leak';

let key: SigningKey;
let stub: StubUpstream;
let logged: string[];
let app: RequestListener;
beforeAll(async () => {
  key = await testKey();
});
beforeEach(async () => {
  stub = await startStubUpstream();
  logged = [];
  app = signerAt(stub.url);
});
afterEach(async () => {
  await stub.close();
});

/** A signer whose log lines, at trace level, all land in `logged`. */
function signerAt(url: string, env: Record<string, string> = {}): RequestListener {
  return createApp(testConfig({ AUTHENTICATE_URL: url, ...env }), { logger: capturingLogger(logged).logger, key });
}

/** Sends a request and returns everything the client could see: status line, headers and body. */
async function seenByClient(req: request.Test): Promise<string> {
  const res = await req;
  return `${res.status}\n${JSON.stringify(res.headers)}\n${res.text}`;
}

describe('secrets and passwords', () => {
  it('never appear in a response or a log line, on any login path', async () => {
    const seen: string[] = [];
    const login = (a: RequestListener = app) => request(a).post('/login');
    const creds = { username: 'alice', password: PASSWORD };

    stub.respond(answer(200, { sub: 'alice', roles: ['user'] }));
    seen.push(await seenByClient(login().send(creds)));
    seen.push(await seenByClient(login().type('form').send(`username=alice&password=${PASSWORD}`)));
    stub.respond(answer(401, { error: 'invalid_credentials' }));
    seen.push(await seenByClient(login().send(creds)));
    stub.respond(answer(200, '<html>not json</html>'));
    seen.push(await seenByClient(login().send(creds)));
    stub.respond(answer(200, { sub: 'alice\r\nX: y' }));
    seen.push(await seenByClient(login().send(creds)));
    stub.respond(() => undefined);
    seen.push(await seenByClient(login(signerAt(stub.url, { AUTHENTICATE_TIMEOUT_MS: '100' })).send(creds)));
    seen.push(await seenByClient(login(signerAt(await unusedUrl())).send(creds)));
    seen.push(await seenByClient(login().set('Content-Type', 'application/json').send(`{"username":"alice","password":"${PASSWORD}"`)));
    seen.push(await seenByClient(login().send({ username: 'alice\n', password: PASSWORD })));
    seen.push(await seenByClient(login().set('Content-Type', 'text/plain').send(PASSWORD)));
    seen.push(await seenByClient(request(app).get('/verify').set('Authorization', `Bearer ${PASSWORD}`)));
    seen.push(
      await seenByClient(
        request(app)
          .get('/verify')
          .set('Authorization', `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`),
      ),
    );

    // The capture works, and the failures above were logged, so the check below means something.
    expect(logged.some((line) => line.includes('"bad_upstream_response"'))).toBe(true);
    expect(logged.some((line) => line.includes('"upstream_timeout"'))).toBe(true);
    expect(logged.some((line) => line.includes('"upstream_unavailable"'))).toBe(true);

    for (const text of [...seen, ...logged]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(TEST_SECRET);
      expect(text).not.toContain(Buffer.from(TEST_SECRET).toString('base64'));
      expect(text).not.toContain(Buffer.from(TEST_SECRET).toString('base64url'));
    }
  });

  it('logs a failed upstream call with its code and request id but no credentials', async () => {
    stub.respond(answer(200, []));
    const res = await request(app).post('/login').set('X-Request-Id', 'req-42').send({ username: 'alice', password: PASSWORD });
    expect(res.status).toBe(502);
    const line = logged.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === 'bad_upstream_response');
    expect(line).toMatchObject({ level: 50, requestId: 'req-42', path: '/login' });
    expect(JSON.stringify(line)).not.toContain(PASSWORD);
  });
});
