import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientClaims, clientKeyPair, clientToken } from '../fixtures/client-keys.js';
import { FRONTS, frontAvailable, http, launch, login, loginPacer, type TestStack } from './harness.js';

// What a service outside the gateway does, through each front: read the discovery document, let
// jose fetch the keys from its jwks_uri and verify a token from /login against its issuer, and ask
// the introspection endpoint it names about that token, as a registered client, before and after
// the user signs out. The signer has an ES256 key ring, as the first start generates it.

interface Discovery {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
  introspection_endpoint: string;
  introspection_endpoint_auth_methods_supported: string[];
}

const reports = clientKeyPair('EdDSA');
/** A fresh `Authorization` value of the registered client: a new nonce, the current time. */
const asClient = async () => `JWT ${await clientToken(reports, clientClaims('reports', Math.floor(Date.now() / 1000)))}`;

for (const front of FRONTS) {
  describe.skipIf(!frontAvailable(front))(`discovery and introspection through the ${front} front`, () => {
    let stack: TestStack;
    let doc: Discovery;
    const home = mkdtempSync(join(tmpdir(), 'tokengate-discovery-e2e-'));
    const pace = loginPacer();

    /** POST to the introspection endpoint the document names, as the registered client unless told otherwise. */
    const introspect = async (body: string, authorization?: string | null) => {
      const auth = authorization === undefined ? await asClient() : authorization;
      return http(doc.introspection_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === null ? {} : { authorization: auth }) },
        body,
      });
    };

    beforeAll(async () => {
      // Registered as `tokengate client add` would: the public key in CLIENTS_DIR, read at start.
      const clientsDir = join(home, 'clients');
      mkdirSync(clientsDir, { mode: 0o700 });
      writeFileSync(join(clientsDir, 'reports.pem'), reports.publicPem, { mode: 0o600 });
      stack = await launch(front, { JWT_ALG: 'ES256', CLIENTS_DIR: clientsDir });
      const res = await http(`${stack.url}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      doc = res.json() as Discovery;
    });
    afterAll(async () => {
      await stack?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    it('serves the discovery document publicly, cacheable like the JWKS, naming endpoints on the gateway', async () => {
      const res = await http(`${stack.url}/.well-known/openid-configuration`);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(doc).toMatchObject({
        issuer: 'tokengate',
        jwks_uri: `${stack.url}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['ES256'],
        introspection_endpoint: `${stack.url}/introspect`,
        introspection_endpoint_auth_methods_supported: ['tokengate_client_jwt'],
      });
    });

    it("lets jose configure itself from the document: the JWKS at jwks_uri verifies a token from /login under the document's issuer", async () => {
      await pace('/login');
      const token = await login(stack.url, 'alice', 'wonderland');
      const jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: doc.issuer, algorithms: doc.id_token_signing_alg_values_supported });
      expect(payload).toMatchObject({ sub: 'alice', roles: ['admin', 'user'] });
      expect(protectedHeader.kid).toBe(decodeProtectedHeader(token).kid);
    });

    it('introspects that token as active for a registered client, and as inactive once alice signs out', async () => {
      await pace('/login');
      const token = await login(stack.url, 'alice', 'wonderland');
      const before = await introspect(`token=${token}`);
      expect(before.status, before.text).toBe(200);
      expect(before.headers.get('cache-control')).toBe('no-store');
      expect(before.json()).toMatchObject({ active: true, sub: 'alice', roles: ['admin', 'user'], iss: doc.issuer, token_type: 'Bearer' });

      await pace('/logout');
      expect((await http(`${stack.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
      const after = await introspect(`token=${token}`);
      expect(after.status).toBe(200);
      expect(after.json()).toEqual({ active: false });
    });

    it('refuses a caller without a client token with 401 invalid_client and the JWT challenge, whatever the token', async () => {
      await pace('/login');
      const token = await login(stack.url, 'bob', 'builder');
      for (const authorization of [null, `Bearer ${token}`]) {
        const res = await introspect(`token=${token}`, authorization);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('JWT realm="tokengate"');
        expect(res.json()).toMatchObject({ error: 'invalid_client' });
      }
    });

    it('refuses bad input with JSON errors: a JSON body (415), a repeated token (400), a body over 16 KiB (413), GET (405)', async () => {
      const json = await http(doc.introspection_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await asClient() },
        body: '{"token":"x"}',
      });
      expect(json.status).toBe(415);
      expect(json.json()).toMatchObject({ error: 'unsupported_media_type' });
      const twice = await introspect('token=a.b.c&token=d.e.f');
      expect(twice.status).toBe(400);
      expect(twice.json()).toMatchObject({ error: 'invalid_request' });
      const big = await introspect(`token=${'a'.repeat(20 * 1024)}`);
      expect(big.status).toBe(413);
      expect(big.json()).toMatchObject({ error: 'payload_too_large' });
      const get = await http(doc.introspection_endpoint);
      expect(get.status).toBe(405);
    });
  });
}
