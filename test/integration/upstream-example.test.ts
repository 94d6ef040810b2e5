import { verify as verifyHash } from '@node-rs/argon2';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUpstreamApp } from '../../upstream-example/app.js';
import { hashPassword, readUsers, type UsersFile } from '../../upstream-example/users.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/upstream-example/add-user.js');

let app: Express;
beforeAll(async () => {
  const users: UsersFile = {
    users: {
      alice: { name: 'Alice Liddell', roles: ['admin', 'user'], hash: await hashPassword('wonderland') },
      bob: { name: 'Bob the Builder', roles: ['user'], hash: await hashPassword('builder') },
    },
  };
  app = createUpstreamApp(users);
});

const authenticate = () => request(app).post('/authenticate');
const claimsHeader = (claims: unknown) => Buffer.from(JSON.stringify(claims)).toString('base64url');

describe('upstream example: POST /authenticate', () => {
  it('answers 200 {sub, name, roles} to the right password', async () => {
    const res = await authenticate().send({ username: 'alice', password: 'wonderland' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'alice', name: 'Alice Liddell', roles: ['admin', 'user'] });
  });

  it("does not accept one user's password for another", async () => {
    const res = await authenticate().send({ username: 'alice', password: 'builder' });
    expect(res.status).toBe(401);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const wrong = await authenticate().send({ username: 'alice', password: 'looking-glass' });
    const unknown = await authenticate().send({ username: 'mallory', password: 'wonderland' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_credentials' });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.text).toBe(wrong.text);
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type']);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('treats the inherited property name %s as an unknown user', async (username) => {
    const res = await authenticate().send({ username, password: 'wonderland' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_credentials' });
  });

  it.each<[string, string]>([
    ['no password', JSON.stringify({ username: 'alice' })],
    ['an empty username', JSON.stringify({ username: '', password: 'wonderland' })],
    ['a numeric password', JSON.stringify({ username: 'alice', password: 1234 })],
    ['an array as username', JSON.stringify({ username: ['alice'], password: 'wonderland' })],
    ['a 1025-character password', JSON.stringify({ username: 'alice', password: 'p'.repeat(1025) })],
    ['an empty object', '{}'],
    ['malformed JSON', '{"username":'],
  ])('answers 400 to a body with %s', async (_case, body) => {
    const res = await authenticate().set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(res.body).toHaveProperty('error');
    expect(res.text).not.toContain('wonderland');
  });
});

describe('upstream example: identity routes', () => {
  const identity = {
    'X-Auth-Sub': 'alice',
    'X-Auth-Roles': 'admin,user',
    'X-Auth-Claims': claimsHeader({ sub: 'alice', roles: ['admin', 'user'], iss: 'tokengate' }),
  };

  it.each(['/check', '/api/whoami'])('%s echoes the identity headers it received', async (path) => {
    const res = await request(app).get(path).set(identity);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: 'alice', roles: ['admin', 'user'], claims: { sub: 'alice', roles: ['admin', 'user'], iss: 'tokengate' } });
  });

  it('reports claims it cannot decode as null rather than failing', async () => {
    const res = await request(app).get('/check').set({ 'X-Auth-Sub': 'alice', 'X-Auth-Claims': '!!not-base64-json!!' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: 'alice', roles: [], claims: null });
  });

  it.each(['/check', '/api/whoami', '/'])('%s answers 401 no_identity without X-Auth-Sub', async (path) => {
    const res = await request(app).get(path).set({ 'X-Auth-Roles': 'admin' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('no_identity');
  });

  it('/ renders an HTML page greeting the user', async () => {
    const res = await request(app).get('/').set(identity);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('alice');
    expect(res.text).toContain('admin, user');
  });

  it('/ escapes the subject and roles it puts into the page', async () => {
    const res = await request(app).get('/').set({ 'X-Auth-Sub': `<script>alert("x")</script>&'`, 'X-Auth-Roles': '<b>admin</b>' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>');
    expect(res.text).not.toContain('<b>');
    // The page shell's escapeHtml, as the gateway's own pages use it.
    expect(res.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(res.text).toContain('&lt;b&gt;admin&lt;/b&gt;');
  });

  it('answers 404 JSON to an unknown path', async () => {
    const res = await request(app).get('/nope').set(identity);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('upstream example: the committed demo users', () => {
  it.each([
    ['alice', 'wonderland', ['admin', 'user']],
    ['bob', 'builder', ['user']],
  ])('lets %s in with the README password', async (username, password, roles) => {
    const demo = createUpstreamApp(await readUsers(join(ROOT, 'upstream-example/users.json')));
    const res = await request(demo).post('/authenticate').send({ username, password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sub: username, roles });
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function addUser(usersFile: string, ...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', USERS_FILE: usersFile }, timeout: 20_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('upstream example: the add-user CLI', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    // The CLI is run as it ships, from the build output.
    if (!existsSync(CLI)) {
      await new Promise<void>((ok, fail) =>
        execFile(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT }, (err) =>
          err ? fail(err) : ok(),
        ),
      );
    }
  }, 120_000);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-users-'));
    file = join(dir, 'users.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a user with an argon2id hash and never the plaintext password', async () => {
    const run = await addUser(file, 'carol', 'Secr3t-Carol-pw', '--roles', 'user,editor', '--display-name', 'Carol C');
    expect(run.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('Secr3t-Carol-pw');
    const users = await readUsers(file);
    expect(users.users.carol).toMatchObject({ name: 'Carol C', roles: ['user', 'editor'], hash: expect.stringMatching(/^\$argon2id\$/) });
    expect(await verifyHash(users.users.carol!.hash, 'Secr3t-Carol-pw')).toBe(true);
  });

  it('writes a file the upstream example then authenticates against', async () => {
    expect((await addUser(file, 'carol', 'Secr3t-Carol-pw', '--roles', 'user')).code).toBe(0);
    const res = await request(createUpstreamApp(await readUsers(file)))
      .post('/authenticate')
      .send({ username: 'carol', password: 'Secr3t-Carol-pw' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'carol', name: 'carol', roles: ['user'] });
  });

  it("updates an existing user's password and roles, keeping its name and the other users", async () => {
    expect((await addUser(file, 'carol', 'first-password', '--roles', 'user', '--display-name', 'Carol C')).code).toBe(0);
    expect((await addUser(file, 'dave', 'daves-password')).code).toBe(0);
    const run = await addUser(file, 'carol', 'second-password', '--roles', 'admin');
    expect(run.code).toBe(0);
    const users = await readUsers(file);
    expect(Object.keys(users.users).sort()).toEqual(['carol', 'dave']);
    expect(users.users.carol).toMatchObject({ name: 'Carol C', roles: ['admin'] });
    expect(await verifyHash(users.users.carol!.hash, 'second-password')).toBe(true);
    expect(await verifyHash(users.users.carol!.hash, 'first-password')).toBe(false);
    expect(await readFile(file, 'utf8')).not.toMatch(/first-password|second-password|daves-password/);
  });

  it('keeps the roles and name of an existing user when only the password changes', async () => {
    expect((await addUser(file, 'carol', 'first-password', '--roles', 'user,editor', '--display-name', 'Carol C')).code).toBe(0);
    expect((await addUser(file, 'carol', 'second-password')).code).toBe(0);
    const users = await readUsers(file);
    expect(users.users.carol).toMatchObject({ name: 'Carol C', roles: ['user', 'editor'] });
    expect(await verifyHash(users.users.carol!.hash, 'second-password')).toBe(true);
  });

  it('clears the roles when asked to with an empty --roles', async () => {
    expect((await addUser(file, 'carol', 'first-password', '--roles', 'user')).code).toBe(0);
    expect((await addUser(file, 'carol', 'first-password', '--roles', '')).code).toBe(0);
    expect((await readUsers(file)).users.carol?.roles).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['no arguments', []],
    ['a name without a password', ['carol']],
    ['an extra argument', ['carol', 'pw-123456', 'extra']],
    ['a name with a space', ['carol smith', 'pw-123456']],
    ['a name with a slash', ['../carol', 'pw-123456']],
    ['a role with a space', ['carol', 'pw-123456', '--roles', 'user,power user']],
    ['an unknown option', ['carol', 'pw-123456', '--admin']],
    ['a password over 1024 characters', ['carol', 'p'.repeat(1025)]],
  ])('exits 2 with the usage and writes nothing, given %s', async (_case, args) => {
    const run = await addUser(file, ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage:/);
    expect(existsSync(file)).toBe(false);
  });

  it('leaves an existing file untouched when the arguments are bad', async () => {
    await writeFile(file, '{"users":{}}\n');
    expect((await addUser(file, 'bad name', 'pw-123456')).code).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('{"users":{}}\n');
  });
});
