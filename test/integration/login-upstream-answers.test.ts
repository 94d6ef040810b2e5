import { describe, expect, it } from 'vitest';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { answer, unusedUrl, type StubHandler } from '../fixtures/upstream-stub.js';

const { stub: currentStub, signer, login } = useLoginSigner();

describe('POST /login when the upstream does not simply accept', () => {
  describe('when the upstream refuses', () => {
    it.each<[number, string, string, Record<string, string>]>([
      [401, 'application/json', '{"error":"invalid_credentials"}', {}],
      [403, 'application/json', '{"error":"account_locked","until":"tomorrow"}', {}],
      [429, 'application/json', '{"error":"slow_down"}', { 'retry-after': '30' }],
      [500, 'text/plain; charset=utf-8', 'the user database is down', {}],
      [503, 'text/plain; charset=iso-8859-1', 'maintenance', {}],
    ])('passes %i back with the same body, the same Content-Type, and no token', async (status, type, body, headers) => {
      currentStub().respond((_req, res) => {
        res.writeHead(status, { 'content-type': type, ...headers });
        res.end(body);
      });
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(status);
      expect(res.text).toBe(body);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toMatch(/eyJ/);
    });

    it('keeps Retry-After on a 429', async () => {
      currentStub().respond(answer(429, { error: 'slow_down' }, { 'retry-after': '120' }));
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('120');
    });
  });

  describe('when the upstream answers 2xx with something that is not a usable JSON object', () => {
    const html =
      (status: number, body: string): StubHandler =>
      (_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(body);
      };
    const raw =
      (status: number, body: string): StubHandler =>
      (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
    it.each<[string, StubHandler]>([
      ['an HTML page', html(200, '<!doctype html><html><body>Welcome alice</body></html>')],
      ['an empty array', raw(200, '[]')],
      ['an array holding the object', raw(200, '[{"sub":"alice"}]')],
      ['null', raw(200, 'null')],
      ['a JSON string', raw(200, '"alice"')],
      ['a JSON number', raw(200, '42')],
      ['true', raw(200, 'true')],
      ['invalid JSON', raw(200, '{"sub": "alice",')],
      ['an empty 200 body', raw(200, '')],
      ['a 204 without a body', (_req, res) => res.writeHead(204).end()],
      ['an object without sub', raw(200, '{"name":"Alice","roles":["user"]}')],
      ['a numeric sub', raw(200, '{"sub":42}')],
      ['a sub with CR LF', raw(200, JSON.stringify({ sub: 'alice\r\nX-Auth-Roles: admin' }))],
      ['a sub with a NUL', raw(200, JSON.stringify({ sub: 'alice\u0000' }))],
      ['a non-ASCII sub', raw(200, JSON.stringify({ sub: 'alïce' }))],
      ['roles as a string', raw(200, JSON.stringify({ sub: 'alice', roles: 'admin' }))],
      ['a role with a comma', raw(200, JSON.stringify({ sub: 'alice', roles: ['user,admin'] }))],
      ['a body over 16 KiB', raw(200, JSON.stringify({ sub: 'alice', pad: 'x'.repeat(17 * 1024) }))],
      ['claims too big for a token', raw(200, JSON.stringify({ sub: 'alice', pad: 'x'.repeat(8 * 1024) }))],
      ['a 201 with HTML', html(201, '<p>created</p>')],
    ])('answers 502 bad_upstream_response to %s', async (_case, handler) => {
      currentStub().respond(handler);
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
      expect(res.body).not.toHaveProperty('token');
    });
  });

  describe('when the upstream misbehaves', () => {
    it('answers 502 bad_upstream_response to a redirect, without following it', async () => {
      currentStub().respond((_req, res) => res.writeHead(302, { location: `${currentStub().url}?followed=1` }).end());
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
      expect(currentStub().received).toHaveLength(1);
    });

    it('answers 502 bad_upstream_response to a refusal whose body is over 16 KiB', async () => {
      currentStub().respond(answer(401, { error: 'invalid_credentials', pad: 'x'.repeat(17 * 1024) }));
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
    });

    it('answers 502 upstream_unavailable when nothing listens at AUTHENTICATE_URL', async () => {
      const res = await login(signer({ AUTHENTICATE_URL: await unusedUrl() })).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 502 upstream_unavailable when the upstream drops the connection', async () => {
      currentStub().respond((req) => req.socket.destroy());
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 502 upstream_unavailable when the upstream drops the connection in the middle of the body', async () => {
      currentStub().respond((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"sub":"al', () => req.socket.destroy());
      });
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 504 upstream_timeout when the upstream sends no headers within AUTHENTICATE_TIMEOUT_MS', async () => {
      currentStub().respond(() => undefined);
      const res = await login(signer({ AUTHENTICATE_TIMEOUT_MS: '200' })).send(ALICE);
      expect(res.status).toBe(504);
      expect(res.body.error).toBe('upstream_timeout');
      expect(res.body).not.toHaveProperty('token');
    });

    it('answers 504 upstream_timeout when the upstream stalls in the middle of the body', async () => {
      currentStub().respond((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"sub":"alice",');
      });
      const res = await login(signer({ AUTHENTICATE_TIMEOUT_MS: '200' })).send(ALICE);
      expect(res.status).toBe(504);
      expect(res.body.error).toBe('upstream_timeout');
      expect(res.body).not.toHaveProperty('token');
    });
  });
});
