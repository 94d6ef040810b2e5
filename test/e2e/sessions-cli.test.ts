import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminKeyFor } from '../../src/admin/admin-credential.js';
import { createApp } from '../../src/app.js';
import { runCli, runCliAsync, useCliDirs, type CliRun } from '../fixtures/cli.js';
import { testConfig, TEST_SECRET } from '../fixtures/config.js';
import { capturingLogger, testKey } from '../fixtures/signer.js';
import { useStubUpstream } from '../fixtures/upstream-stub.js';

// `tokengate sessions`, the real CLI built, against a signer (or a stand-in for one) this test
// runs in-process on a free port: the CLI finds it by SIGNER_HOST and SIGNER_PORT, as it finds a
// signer started with the same environment.

const workDir = useCliDirs('tokengate-sessions-cli-');
const stub = useStubUpstream();
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** Everything the CLI printed, checked for the secret and any token at the end of each test. */
let printed: string[] = [];
afterEach(() => {
  const all = printed.join('\n');
  printed = [];
  expect(all).not.toContain(TEST_SECRET);
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  expect(all).not.toMatch(/Bearer/);
});

async function listenOn(handler: RequestListener): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A signer with the in-memory store whose secret is `secret`; the stub vouches for any username. */
async function startSigner(secret = TEST_SECRET) {
  stub().respond((_req, res, body) => {
    const { username } = JSON.parse(body) as { username: string };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: username, roles: ['user'] }));
  });
  const { logger, lines } = capturingLogger();
  const app = createApp(testConfig({ AUTHENTICATE_URL: stub().url }), {
    logger,
    key: await testKey(),
    adminKey: adminKeyFor(new TextEncoder().encode(secret)),
  });
  const port = await listenOn(app);
  return { port, base: `http://127.0.0.1:${port}`, lines };
}

async function sessions(args: string[], env: Record<string, string>, cwd = workDir()): Promise<CliRun> {
  const res = await runCliAsync(['sessions', ...args], { cwd, env });
  printed.push(res.stdout, res.stderr);
  return res;
}
const signerEnv = (port: number) => ({ JWT_SECRET: TEST_SECRET, SIGNER_HOST: '127.0.0.1', SIGNER_PORT: String(port) });

async function login(base: string, username: string, userAgent: string): Promise<{ token: string; sid: string }> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ username, password: 'pw' }),
  });
  expect(res.status).toBe(200);
  const { token } = (await res.json()) as { token: string };
  return { token, sid: (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid };
}
const verify = async (base: string, token: string) => (await fetch(`${base}/verify`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('tokengate sessions: the command line', () => {
  it('is listed by tokengate --help, and explains itself with --help', () => {
    expect(runCli(['--help']).stdout).toContain('tokengate sessions list|revoke <user>');
    for (const args of [
      ['sessions', '--help'],
      ['sessions', 'list', '--help'],
      ['sessions', 'revoke', 'bob', '--help'],
    ]) {
      const res = runCli(args);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^usage: tokengate sessions list\|revoke/);
      for (const text of ['sessions list USER [--json]', 'sessions revoke USER --session ID', '--signer URL', 'JWT_SECRET_FILE'])
        expect(res.stdout).toContain(text);
    }
  });

  it.each([
    ['no subcommand', []],
    ['an unknown subcommand', ['kill', 'bob']],
    ['no user', ['list']],
    ['a user with a surrounding space', ['list', ' bob']],
    ['a user with a control character', ['revoke', 'bob\n']],
    ['a user over 256 characters', ['list', 'b'.repeat(257)]],
    ['two users', ['list', 'bob', 'alice']],
    ['an unknown option', ['list', 'bob', '--all']],
    ['a session id with a dot', ['revoke', 'bob', '--session', 'a.b']],
    ['--session without a value', ['revoke', 'bob', '--session']],
    ['a --signer that is not http', ['list', 'bob', '--signer', 'ftp://127.0.0.1:9000']],
    ['a --signer with a query', ['list', 'bob', '--signer', 'http://127.0.0.1:9000/?x=1']],
    ['a --signer that is no URL', ['list', 'bob', '--signer', '127.0.0.1:9000']],
  ])('exits 2 on %s, calling nobody', async (_case, args) => {
    const res = await sessions(args, { JWT_SECRET: TEST_SECRET, SIGNER_PORT: '1' });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^tokengate sessions/);
  });
});

describe('tokengate sessions against a signer', () => {
  it('lists, ends one, then ends every session of a user, with the signer seeing the same', async () => {
    const signer = await startSigner();
    const env = signerEnv(signer.port);
    const first = await login(signer.base, 'bob', 'curl/8.5.0');
    const second = await login(signer.base, 'bob', 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0');
    const alice = await login(signer.base, 'alice', 'curl/8.5.0');

    const listed = await sessions(['list', 'bob'], env);
    expect(listed.status, listed.stderr).toBe(0);
    const [heading, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(heading).toMatch(/^SESSION +STARTED +LAST REFRESH +ADDRESS +USER AGENT +ENDS$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${first.sid} +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +\\S+ +127\\.0\\.0\\.1 +curl/8\\.5\\.0 +\\S+Z$`));
    // A long user agent is cut in the table.
    expect(rows[1]).toContain(`${second.sid} `);
    expect(rows[1]).toContain('Mozilla/5.0 (X11; Linux x86_64; rv:140.0...');
    expect(listed.stderr).toBe('tokengate sessions list: 2 live sessions for "bob" (times in UTC)\n');

    const json = await sessions(['list', 'bob', '--json'], env);
    expect(json.status).toBe(0);
    const answer = JSON.parse(json.stdout) as { user: string; sessions: { sid: string; startedAt: number; userAgent: string }[] };
    expect(answer.user).toBe('bob');
    expect(answer.sessions.map((s) => s.sid)).toEqual([first.sid, second.sid]);
    expect(answer.sessions[1]!.userAgent).toMatch(/Firefox\/140\.0$/);

    const one = await sessions(['revoke', 'bob', '--session', first.sid], env);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr).toContain(`ended session ${first.sid} of "bob"`);
    expect(await verify(signer.base, first.token)).toBe(401);
    expect(await verify(signer.base, second.token)).toBe(204);

    const again = await sessions(['revoke', 'bob', '--session', first.sid], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`"bob" has no live session ${first.sid}`);
    const notTheirs = await sessions(['revoke', 'bob', '--session', alice.sid], env);
    expect(notTheirs.status).toBe(1);
    expect(await verify(signer.base, alice.token)).toBe(204);

    const all = await sessions(['revoke', 'bob'], env);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/ended 1 session of "bob"; every token of theirs issued up to \S+Z is refused from now on/);
    expect(await verify(signer.base, second.token)).toBe(401);
    expect(await verify(signer.base, alice.token)).toBe(204);

    const none = await sessions(['list', 'bob'], env);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('tokengate sessions list: no live sessions for "bob"\n');

    // The signer's audit log names this machine's user as the caller.
    const audit = signer.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
    expect(audit.map((l) => l.action)).toEqual([
      'sessions.list',
      'sessions.list',
      'sessions.end',
      'sessions.end',
      'sessions.end',
      'sessions.revoke_user',
      'sessions.list',
    ]);
    for (const line of audit) expect(line).toMatchObject({ actor: `cli:${userInfo().username}`, via: 'api', sub: 'bob' });
  });

  it('finds the secret where the signer does, JWT_SECRET_FILE relative to where it runs (npm start: secrets/jwt-secret in the checkout)', async () => {
    const secret = 'another-secret-for-this-test-0123456789';
    const signer = await startSigner(secret);
    const cwd = workDir();
    mkdirSync(join(cwd, 'secrets'), { mode: 0o700 });
    writeFileSync(join(cwd, 'secrets', 'jwt-secret'), `${secret}\n`, { mode: 0o600 });
    const res = await sessions(['list', 'bob'], { SIGNER_PORT: String(signer.port) }, cwd);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain('no live sessions for "bob"');
    expect(`${res.stdout}${res.stderr}`).not.toContain(secret);
  });

  it('calls loopback for a signer listening on every address (SIGNER_HOST=0.0.0.0), and --signer overrides', async () => {
    const signer = await startSigner();
    expect((await sessions(['list', 'bob'], { ...signerEnv(signer.port), SIGNER_HOST: '0.0.0.0' })).status).toBe(0);
    expect((await sessions(['list', 'bob', '--signer', `${signer.base}/`], { JWT_SECRET: TEST_SECRET, SIGNER_PORT: '1' })).status).toBe(0);
  });

  it("says the secret is not the signer's on a 401", async () => {
    const signer = await startSigner('the-signers-own-secret-0123456789abcdef');
    const res = await sessions(['revoke', 'bob'], signerEnv(signer.port));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("refused this command's admin credential (401)");
    expect(res.stderr).toContain('JWT_SECRET_FILE');
  });

  it('never creates the secret file, and says where it looked', async () => {
    const cwd = workDir();
    const res = await sessions(['list', 'bob'], { SIGNER_PORT: '1' }, cwd);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('JWT_SECRET_FILE secrets/jwt-secret does not exist');
    expect(existsSync(join(cwd, 'secrets'))).toBe(false);
  });

  it('says so when nothing listens at the signer address', async () => {
    const port = await listenOn(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const res = await sessions(['list', 'bob'], signerEnv(port));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`cannot reach the signer at http://127.0.0.1:${port} (connection refused)`);
  });

  it('gives up after 5 s on a signer that never answers', async () => {
    const port = await listenOn(() => undefined);
    const started = Date.now();
    const res = await sessions(['revoke', 'bob'], signerEnv(port));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('did not answer within 5 s');
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it.each([
    ['a gateway (404 not_found)', 404, '{"error":"not_found","message":"Not found."}', 'has no admin API (404 not_found)'],
    ['a page that is not JSON', 200, '<html>hello</html>', 'answered 200 without JSON'],
    ['a JSON answer of another shape', 200, '{"user":"bob"}', 'answered 200 with an unexpected body'],
    [
      'a store outage',
      503,
      '{"error":"store_unavailable","message":"The session store is unavailable; try again shortly."}',
      'answered 503 store_unavailable: The session store',
    ],
  ])('explains the answer of %s', async (_case, status, body, explanation) => {
    const port = await listenOn((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    const res = await sessions(['list', 'bob'], signerEnv(port));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(explanation);
  });

  it('prints nothing a terminal would act on from what the signer answered', async () => {
    const hostile = {
      sid: 'AAAA\u001b[2J',
      startedAt: 1,
      lastRefreshAt: 1,
      expiresAt: 2,
      address: '127.0.0.1\u001b]0;x\u0007',
      userAgent: 'evil\u001b[31m\r\nagent',
    };
    const port = await listenOn((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: 'bob', sessions: [hostile] })),
    );
    const res = await sessions(['list', 'bob'], signerEnv(port));
    expect(res.status).toBe(0);
    expect(res.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(res.stdout).toContain('evil?[31m??agent');
  });
});
