import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS, BROWSER_ACCEPT, CSRF, REFRESH, definedHeaders, hiddenField, parseSetCookie, type SetCookie } from '../fixtures/browser-session.js';
import { FRONTS, frontAvailable, http, launch, type Reply, type TestStack, loginPacer } from './harness.js';

const ALICE = { username: 'alice', password: 'wonderland' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** The signer's own endpoints, in spellings nginx (or the embedded front) may normalise to them. */
const SIGNER_ONLY = ['/metrics', '/readyz', '/healthz', '/metrics/', '/METRICS', '/metrics?x=1', '//metrics', '/login/../metrics', '/refresh/../readyz'];

/** The response's cookies by name. */
function cookiesOf(res: Reply): Map<string, SetCookie> {
  return new Map(
    res.headers
      .getSetCookie()
      .map((h) => parseSetCookie(h))
      .map((c) => [c.name, c]),
  );
}

/** Polls `find` until it returns something (log files are written by other processes), for at most 5 s. */
async function eventually<T>(what: string, find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not found within 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir` whose name ends in `.log`, however deep. */
function logFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return logFiles(path);
    return entry.isFile() && entry.name.endsWith('.log') ? [path] : [];
  });
}

/** The JSON lines of a process's log, skipping anything else it wrote. */
function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe.each(FRONTS)("the signer's /metrics, /readyz and /healthz through the %s front", (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  // No policy (an empty POLICY_FILE): a token reaches the app on every path, so what answers
  // these paths is shown to be the app, never the signer (the demo policy would refuse them first).
  beforeAll(async () => {
    if (available) stack = await launch(front, { POLICY_FILE: '' });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it.skipIf(!available)('never answer from outside: a token gets the app (its 404s, its own health), never the signer', async () => {
    const login = await http(`${stack.url}/login`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(ALICE) });
    expect(login.status).toBe(200);
    const bearer = { authorization: `Bearer ${(login.json() as { token: string }).token}` };
    for (const path of SIGNER_ONLY) {
      const res = await http(`${stack.url}${path}`, { headers: bearer });
      expect(res.text, path).not.toContain('tokengate_');
      expect(res.text, path).not.toContain('# TYPE');
      expect(res.text, path).not.toContain('"ready"');
      expect(res.text, path).not.toContain('not_ready');
      // The signer's answers all carry these; the demo app's never do.
      expect(res.headers.get('x-frame-options'), path).toBeNull();
      if (res.status === 200) expect(res.json(), path).toEqual({ status: 'ok' });
      else expect(res.status, path).toBe(404);
      // And without a token, the gateway refuses before anything is reached.
      expect((await http(`${stack.url}${path}`)).status, `${path} without a token`).toBe(401);
    }
  });
});

describe.skipIf(!frontAvailable('nginx'))('a run through nginx at LOG_LEVEL=trace', () => {
  let stack: TestStack;
  let base: string;
  beforeAll(async () => {
    stack = await launch('nginx', { LOG_LEVEL: 'trace', REFRESH_GRACE_S: '0' });
    base = stack.url;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const logs = () => join(stack.workDir, 'logs');
  const paced = loginPacer();
  const send = async (path: string, init: RequestInit & { headers?: Record<string, string | undefined> } = {}) => {
    await paced(path);
    return http(`${base}${path}`, { ...init, headers: definedHeaders(init.headers ?? {}) });
  };
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    send(path, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
  const sameOrigin = () => ({ Origin: base, 'Sec-Fetch-Site': 'same-origin' });
  const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string | undefined>) =>
    send(path, {
      method: 'POST',
      headers: { Accept: BROWSER_ACCEPT, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  /** nginx's `$request_id` for the one request that carried this User-Agent, from its access log. */
  const nginxRequestId = (userAgent: string) =>
    eventually(`nginx's access log line for ${userAgent}`, () => {
      const line = readFileSync(join(logs(), 'nginx-access.log'), 'utf8')
        .split('\n')
        .find((l) => l.includes(`"${userAgent}"`));
      return line === undefined ? undefined : /id=([0-9a-f]{32})$/.exec(line)?.[1];
    });

  it("answers /metrics, /readyz and /healthz on the signer's own port, counting what came through nginx", async () => {
    const { token } = (await postJson('/login', ALICE)).json() as { token: string };
    expect((await send('/check', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const [signer] = stack.signerUrls;
    const metrics = await http(`${signer}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^tokengate_login_total\{outcome="success"\} [1-9]/m);
    expect(metrics.text).toMatch(/^tokengate_verify_total\{outcome="ok"\} [1-9]/m);
    expect(metrics.text).toMatch(/^process_cpu_user_seconds_total /m);
    const ready = await http(`${signer}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', store: { kind: 'memory', ok: true } });
    expect((await http(`${signer}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it("follows one login by nginx's request id: the access log, the signer's line, the app's /authenticate", async () => {
    const userAgent = `tokengate-e2e-${randomBytes(6).toString('hex')}`;
    const res = await postJson('/login', ALICE, { 'User-Agent': userAgent });
    expect(res.status).toBe(200);
    const id = await nginxRequestId(userAgent);
    const signerLine = await eventually("the signer's line", () =>
      jsonLines(join(logs(), 'signer.log')).find((l) => l.msg === 'request' && l.path === '/login' && l.requestId === id),
    );
    expect(signerLine).toMatchObject({ level: 30, method: 'POST', status: 200 });
    const appLine = await eventually("the app's line", () =>
      jsonLines(join(logs(), 'upstream.log')).find((l) => l.msg === 'authenticate' && l.requestId === id),
    );
    expect(appLine).toMatchObject({ status: 200 });
  });

  it("follows a protected request's auth subrequest by the same id", async () => {
    const { token } = (await postJson('/login', ALICE)).json() as { token: string };
    const userAgent = `tokengate-e2e-${randomBytes(6).toString('hex')}`;
    const res = await send('/api/whoami?tab=2', { headers: { authorization: `Bearer ${token}`, 'User-Agent': userAgent } });
    expect(res.status).toBe(200);
    const id = await nginxRequestId(userAgent);
    const line = await eventually("the signer's verify line", () =>
      jsonLines(join(logs(), 'signer.log')).find((l) => l.msg === 'verify allowed' && l.requestId === id),
    );
    expect(line).toMatchObject({ level: 20, status: 204, originalMethod: 'GET', originalPath: '/api/whoami', outcome: 'ok' });
  });

  it('holds no secret, token, signature, password or CSRF token in any log file after a full run', async () => {
    const issued: string[] = [];
    const csrfTokens: string[] = [];
    const keep = (...cookies: (SetCookie | undefined)[]) => {
      for (const c of cookies) if (c && c.value !== '') (c.name === CSRF ? csrfTokens : issued).push(c.value);
    };
    const wrongPasswords = [`wrong-${randomBytes(9).toString('base64url')}`, `wrong-${randomBytes(9).toString('base64url')}`];

    // API client: log in, use the token three ways, refresh, reuse the old refresh token, log out.
    const api = (await postJson('/login', ALICE)).json() as { token: string; refresh_token: string };
    issued.push(api.token, api.refresh_token);
    expect((await send('/api/whoami', { headers: { authorization: `Bearer ${api.token}` } })).status).toBe(200);
    expect((await send('/check', { headers: { authorization: api.token } })).status).toBe(200);
    expect((await send(`/api/whoami?jwt=${api.token}&tab=2`)).status).toBe(200);
    const refreshed = await postJson('/refresh', { refresh_token: api.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = refreshed.json() as { token: string; refresh_token: string };
    issued.push(next.token, next.refresh_token);
    expect((await postJson('/refresh', { refresh_token: api.refresh_token })).status).toBe(401);
    const apiLogin2 = (await postJson('/login', ALICE)).json() as { token: string };
    issued.push(apiLogin2.token);
    expect((await send('/logout', { method: 'POST', headers: { authorization: `Bearer ${apiLogin2.token}` } })).status).toBe(204);
    expect((await send(`/api/whoami?jwt=${apiLogin2.token}`)).status).toBe(401);

    // Browser: the form, the cookie, a silent refresh, the sign-out form.
    const page = await send('/login', { headers: { Accept: BROWSER_ACCEPT } });
    const csrfCookie = cookiesOf(page).get(CSRF)!;
    const csrf = hiddenField(page.text, 'csrf')!;
    csrfTokens.push(csrf);
    keep(csrfCookie);
    const formLogin = await postForm('/login', { csrf, return_to: '/', ...ALICE }, { ...sameOrigin(), Cookie: csrfCookie.pair });
    expect(formLogin.status).toBe(303);
    const session = cookiesOf(formLogin);
    keep(...session.values());
    expect((await send('/api/whoami', { headers: { Accept: BROWSER_ACCEPT, Cookie: session.get(ACCESS)!.pair } })).status).toBe(200);
    const silent = await send('/api/whoami', { headers: { Accept: BROWSER_ACCEPT, Cookie: session.get(REFRESH)!.pair } });
    expect(silent.status).toBe(200);
    const rotated = cookiesOf(silent);
    expect(rotated.get(ACCESS)?.value).toBeTruthy();
    keep(...rotated.values());
    const cookie = `${rotated.get(ACCESS)!.pair}; ${rotated.get(REFRESH)!.pair}`;
    const logoutPage = await send('/logout', { headers: { Accept: BROWSER_ACCEPT, Cookie: cookie } });
    const logoutCsrf = hiddenField(logoutPage.text, 'csrf')!;
    expect(logoutCsrf).toBeTruthy();
    csrfTokens.push(logoutCsrf);
    expect((await postForm('/logout', { csrf: logoutCsrf }, { ...sameOrigin(), Cookie: cookie })).status).toBe(200);

    // Failed logins, JSON and form.
    expect((await postJson('/login', { username: 'alice', password: wrongPasswords[0] })).status).toBe(401);
    const page2 = await send('/login', { headers: { Accept: BROWSER_ACCEPT } });
    const csrf2 = hiddenField(page2.text, 'csrf')!;
    csrfTokens.push(csrf2);
    const failedForm = await postForm(
      '/login',
      { csrf: csrf2, return_to: '/', username: 'alice', password: wrongPasswords[1]! },
      { ...sameOrigin(), Cookie: cookiesOf(page2).get(CSRF)!.pair },
    );
    expect(failedForm.status).toBe(401);

    // Stop everything, so every line (shutdown included) is on disk.
    await stack.stop();
    await new Promise((r) => setTimeout(r, 200));

    const secret = stack.secret();
    const secretBytes = Buffer.from(secret, 'base64url');
    const secretForms = new Set([
      secret,
      ...(['base64', 'base64url', 'hex'] as const).map((enc) => Buffer.from(secret, 'utf8').toString(enc)),
      ...(secretBytes.length >= 16 ? (['base64', 'base64url', 'hex'] as const).map((enc) => secretBytes.toString(enc)) : []),
    ]);
    const tokens = [...new Set(issued)];
    expect(tokens.length).toBeGreaterThanOrEqual(8);
    const forbidden: [string, string][] = [
      ...[...secretForms].map((s): [string, string] => ['the signing secret', s]),
      ...tokens.map((t): [string, string] => ['an issued token', t]),
      ...tokens.filter((t) => t.split('.').length === 3).map((t): [string, string] => ["a token's signature", t.split('.')[2]!]),
      ['a password', ALICE.password],
      ...wrongPasswords.map((p): [string, string] => ['a wrong password', p]),
      ...csrfTokens.map((c): [string, string] => ['a CSRF token', c]),
    ];

    const files = logFiles(stack.workDir);
    expect(files.map((f) => relative(stack.workDir, f)).sort()).toEqual(
      expect.arrayContaining(['logs/nginx-access.log', 'logs/nginx.log', 'logs/signer.log', 'logs/upstream.log']),
    );
    const found: string[] = [];
    for (const file of files) {
      expect(statSync(file).size, file).toBeGreaterThan(0);
      const text = readFileSync(file, 'utf8');
      for (const [what, value] of forbidden) {
        const at = text.indexOf(value);
        if (at !== -1) found.push(`${relative(stack.workDir, file)}: ${what}, in: ${text.slice(text.lastIndexOf('\n', at) + 1, at).slice(-160)}`);
      }
    }
    expect(found).toEqual([]);

    // The run was really logged at trace: a line per login and per check, with their ids.
    const signer = jsonLines(join(logs(), 'signer.log'));
    expect(signer.filter((l) => l.msg === 'request' && l.path === '/login').length).toBeGreaterThanOrEqual(6);
    expect(signer.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('verify ')).length).toBeGreaterThanOrEqual(6);
    // Every request nginx forwarded carries its $request_id (the stack runner's direct /healthz probes get their own).
    const forwarded = signer.filter((l) => l.msg === 'request' && typeof l.path === 'string' && /^\/(?:login|refresh|logout)$/.test(l.path));
    for (const line of forwarded) expect(line.requestId, JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
  });
});
