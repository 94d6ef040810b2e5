import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONTS, frontAvailable, http, launch, login, type TestStack } from './harness.js';

const credentials = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'wonderland' }) };

/** An authenticate endpoint that misbehaves on demand: the behaviour is picked by the username. */
function startStubAuthenticate(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { username } = JSON.parse(body) as { username: string };
      switch (username) {
        case 'slow':
          setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"sub":"slow"}'), 2_000);
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>welcome</html>');
          return;
        case 'array':
          res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
          return;
        case 'throttled':
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '42' }).end('{"error":"slow_down"}');
          return;
        case 'broken':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('database on fire');
          return;
        default:
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: username, roles: ['user'], iat: 1, exp: 2, iss: 'evil' }));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.each(FRONTS)('faults through the %s front', (front) => {
  const available = frontAvailable(front);

  describe.skipIf(!available)('when the authenticate endpoint misbehaves', () => {
    let stub: Server;
    let stack: TestStack;
    beforeAll(async () => {
      stub = await startStubAuthenticate();
      const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/authenticate`;
      stack = await launch(front, { AUTHENTICATE_URL: url, AUTHENTICATE_TIMEOUT_MS: '500' });
    });
    afterAll(async () => {
      await stack?.cleanup();
      stub?.closeAllConnections();
      stub?.close();
    });

    const loginAs = (username: string) =>
      http(`${stack.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'pw' }) });

    it('answers 504 upstream_timeout when it is slower than AUTHENTICATE_TIMEOUT_MS', async () => {
      const res = await loginAs('slow');
      expect(res.status).toBe(504);
      expect(res.json()).toMatchObject({ error: 'upstream_timeout' });
    });

    it.each(['html', 'array'])('answers 502 bad_upstream_response to a 2xx %s body', async (username) => {
      const res = await loginAs(username);
      expect(res.status).toBe(502);
      expect(res.json()).toMatchObject({ error: 'bad_upstream_response' });
    });

    it('passes a 429 through with its body and Retry-After', async () => {
      const res = await loginAs('throttled');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('42');
      expect(res.json()).toEqual({ error: 'slow_down' });
    });

    it("passes the app's own 500 through unchanged (the OpenResty behaviour)", async () => {
      const res = await loginAs('broken');
      expect(res.status).toBe(500);
      expect(res.text).toBe('database on fire');
    });

    it('ignores the app values for registered claims', async () => {
      const res = await loginAs('dave');
      expect(res.status).toBe(200);
      const { token } = res.json() as { token: string };
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(payload).toMatchObject({ sub: 'dave', iss: 'tokengate' });
      expect(payload.exp).toBe((payload.iat as number) + 900);
      const check = await http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}` } });
      expect(check.status).toBe(200);
    });
  });

  describe.skipIf(!available)('when processes die', () => {
    let stack: TestStack;
    let token: string;
    beforeAll(async () => {
      stack = await launch(front);
      token = await login(stack.url, 'alice', 'wonderland');
    });
    afterAll(async () => {
      await stack?.cleanup();
    });

    it('answers 502 upstream_unavailable to a login while the app is down, and 502 app_unavailable to a request', async () => {
      await stack.processes.get('upstream')!.stop();
      const res = await http(`${stack.url}/login`, credentials);
      expect(res.status).toBe(502);
      expect(res.json()).toMatchObject({ error: 'upstream_unavailable' });
      const app = await http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}` } });
      expect(app.status).toBe(502);
      expect(app.json()).toMatchObject({ error: 'app_unavailable' });
    });

    // The embedded front has the signer in-process: these two faults exist only with nginx. The
    // OpenResty front answers a request it has seen from its cache for a few seconds more (its
    // own suite tests that bound): a query of its own makes each request a first sight.
    if (front === 'embedded') return;

    it('answers 503 JSON, never 500, when the signer hangs', async () => {
      const signer = stack.processes.get('signer')!;
      process.kill(signer.pid, 'SIGSTOP');
      try {
        const res = await http(`${stack.url}/check?hung`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(503);
        expect(res.json()).toMatchObject({ error: 'signer_unavailable' });
      } finally {
        process.kill(signer.pid, 'SIGCONT');
      }
    });

    it('answers 503 JSON, never 500, when the signer is down', async () => {
      await stack.processes.get('signer')!.stop();
      const res = await http(`${stack.url}/check?down`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.json()).toMatchObject({ error: 'signer_unavailable' });
      const loginRes = await http(`${stack.url}/login`, credentials);
      expect(loginRes.status).toBe(503);
      expect(loginRes.json()).toMatchObject({ error: 'signer_unavailable' });
    });
  });
});
