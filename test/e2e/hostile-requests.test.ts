import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONTS, frontAvailable, http, launch, login, rawHttp, type TestStack } from './harness.js';

interface Echo {
  sub: string;
  request: { url: string };
}

describe.each(FRONTS)('hostile and unusual requests through the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  let token: string;
  beforeAll(async () => {
    if (!available) return;
    stack = await launch(front);
    token = await login(stack.url, 'alice', 'wonderland');
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  describe.skipIf(!available)('on both fronts', () => {
    it.each(['/authenticate;jsessionid=x', '/authenticate.json', '/x/../authenticate', '/%2e/authenticate', '/Authenticate/anything'])(
      'keeps %s away from the app (404)',
      async (path) => {
        const res = await rawHttp(
          stack.url,
          `POST ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 45\r\nConnection: close\r\n\r\n{"username":"alice","password":"wonderland"}`,
        );
        expect(res.status).toBe(404);
        expect(res.body).not.toContain('Alice');
      },
    );

    it('resolves dot segments before routing and forwards the normalised path', async () => {
      const res = await rawHttp(stack.url, `GET /x/../check HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as Echo).request.url).toBe('/check');
    });

    it('answers 400 JSON to a path that climbs above the root', async () => {
      const res = await rawHttp(stack.url, `GET /../check HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
    });

    it('serves an HTTP/1.0 request without Host', async () => {
      const res = await rawHttp(stack.url, `GET /check HTTP/1.0\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as Echo).sub).toBe('alice');
    });

    it('refuses a token in the header and another in ?jwt= together (401 invalid_request), so neither rides along', async () => {
      const res = await http(`${stack.url}/check?jwt=${token}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
    });

    it('refuses two jwt= parameters (401 invalid_request)', async () => {
      const res = await http(`${stack.url}/check?jwt=${token}&jwt=${token}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
    });

    it('lets large but legal headers through instead of blaming the signer', async () => {
      const big = 'a'.repeat(7000);
      const res = await http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}`, 'X-One': big, 'X-Two': big, 'X-Three': big } });
      expect(res.status).toBe(200);
    });

    it('answers 400 JSON, not 5xx, to a header value with a control byte', async () => {
      const res = await rawHttp(stack.url, `GET /check HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\nX-Odd: a\x01b\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
    });

    it('refuses a gzip-encoded login body with 415 instead of inflating it', async () => {
      const res = await http(`${stack.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: 'not gzip at all',
      });
      expect(res.status).toBe(415);
      expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
    });

    it('passes a 200 KiB request body through to the app', async () => {
      const res = await http(`${stack.url}/api/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(200 * 1024, 0x61),
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ sub: 'alice', bytes: 200 * 1024 });
    });
  });

  // nginx's own limits and pages: the embedded front does not copy nginx's defaults.
  if (front === 'embedded') return;

  describe.skipIf(!available)("on nginx's own error pages", () => {
    it.each<[string, string, number, string]>([
      ['the internal /_auth from outside', 'GET /_auth HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 404, 'not_found'],
      ['the internal error page from outside', 'GET /_tokengate/error HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 404, 'not_found'],
      ['TRACE', 'TRACE /check HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 405, 'method_not_allowed'],
      ['a 9 KiB URI', `GET /check?q=${'a'.repeat(9 * 1024)} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`, 414, 'uri_too_long'],
      ['a request line nginx cannot parse', 'GET /check HTTP/1.1 extra\r\nHost: t\r\nConnection: close\r\n\r\n', 400, 'invalid_request'],
      ['an HTTP version nginx does not speak', 'GET /check HTTP/2.7\r\nHost: t\r\nConnection: close\r\n\r\n', 505, 'http_version_not_supported'],
    ])('answers JSON to %s', async (_name, request, status, code) => {
      const res = await rawHttp(stack.url, request);
      expect(res.status).toBe(status);
      expect(res.head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(res.body)).toMatchObject({ error: code });
    });

    it('answers 413 JSON to a body over client_max_body_size (1 MiB) on a protected path', async () => {
      const res = await http(`${stack.url}/api/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(2 * 1024 * 1024, 0x61),
      });
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ error: 'payload_too_large' });
    });

    it('answers 400 JSON when a header is larger than nginx accepts', async () => {
      const res = await rawHttp(stack.url, `GET /check HTTP/1.1\r\nHost: t\r\nX-Huge: ${'a'.repeat(10 * 1024)}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
    });
  });
});
