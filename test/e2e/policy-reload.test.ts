import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POLICY, ENTRY, ROOT } from '../../scripts/stack/paths.js';
import { testPort } from '../fixtures/ports.js';
import { FRONTS, frontAvailable, http, launch, login, loginPacer, type TestStack } from './harness.js';

const DEMO = readFileSync(DEMO_POLICY, 'utf8');
/** The demo policy with /admin/** given to every user: bob gets in. */
const ADMIN_FOR_USERS = DEMO.replace('anyRole: [admin]', 'anyRole: [admin, user]');
const BROKEN = 'rules:\n  - { path: admin/**, anyRole: [admin] }\n  - { path: /api/**, allow: everyone }\n';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function policyFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-policy-e2e-'));
  dirs.push(dir);
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, text);
  return file;
}

/** Runs a built entry point until it exits on its own, with a clean environment plus `env`. */
function runToExit(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not exit:\n${output}`));
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.each([
  ['signer', ENTRY.signer],
  ['embedded front', ENTRY.front],
])('the %s with a policy it cannot use', (_name, entry) => {
  it.each([
    [
      'a broken file',
      () => policyFile(BROKEN),
      ['rules[0].path: must start with / (got \\"admin/**\\")', 'rules[1].allow: must be public, authenticated or deny'],
    ],
    ['a missing file', () => '/nonexistent/policy.yaml', ['cannot read /nonexistent/policy.yaml (ENOENT)']],
  ])('exits 2 on %s, naming every problem', async (_case, file, problems) => {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-policy-start-'));
    dirs.push(dir);
    const run = await runToExit(entry, {
      POLICY_FILE: file(),
      JWT_SECRET_FILE: join(dir, 'secret'),
      KEYS_DIR: join(dir, 'keys'),
      SIGNER_PORT: String(await testPort()),
      GATEWAY_PORT: String(await testPort()),
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain('cannot be used');
    for (const p of problems) expect(run.output).toContain(p);
  });
});

describe.each(FRONTS)('editing the policy while the %s front runs', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  let file: string;
  let bob: string;
  // Only SIGHUP reloads here, so each step is certain to have been applied, or not, when it returns.
  beforeAll(async () => {
    if (!available) return;
    file = policyFile(DEMO);
    stack = await launch(front, { POLICY_FILE: file, POLICY_CHECK_INTERVAL_S: '0' });
    await loginPacer()('/login');
    bob = await login(stack.url, 'bob', 'builder');
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const signer = () => stack.processes.get(front === 'embedded' ? 'front' : 'signer')!;
  const log = () => readFileSync(join(stack.workDir, 'logs', `${signer().name}.log`), 'utf8');
  const bobOnAdmin = async () => (await http(`${stack.url}/admin`, { headers: { Authorization: `Bearer ${bob}` } })).status;
  /** SIGHUP, then waits for the signer to log the outcome of that reload (its nth policy reload). */
  const reload = async () => {
    const before = log().split('\n').filter(isReloadLine).length;
    process.kill(signer().pid, 'SIGHUP');
    await expect.poll(() => log().split('\n').filter(isReloadLine).length, { timeout: 5000, interval: 20 }).toBe(before + 1);
    // The OpenResty front's cache learns of a new policy at its next feed poll (every 0.25 s).
    if (front === 'openresty') await new Promise((r) => setTimeout(r, 600));
  };

  it.skipIf(!available)('applies a valid edit without a restart', async () => {
    expect(await bobOnAdmin()).toBe(403);
    writeFileSync(file, ADMIN_FOR_USERS);
    await reload();
    expect(await bobOnAdmin()).toBe(200);
  });

  it.skipIf(!available)('keeps the previous policy when an edit is invalid, and logs why at error', async () => {
    writeFileSync(file, BROKEN);
    await reload();
    expect(await bobOnAdmin()).toBe(200);
    expect((await http(`${stack.url}/public/x`)).status).toBe(200);
    const failure = log()
      .split('\n')
      .filter(isReloadLine)
      .map((l) => JSON.parse(l) as { level: number; problems?: string[] })
      .at(-1);
    expect(failure).toMatchObject({
      level: 50,
      problems: ['rules[0].path: must start with / (got "admin/**")', 'rules[1].allow: must be public, authenticated or deny'],
    });
  });

  it.skipIf(!available)('takes the fixed file at the next reload', async () => {
    writeFileSync(file, DEMO);
    await reload();
    expect(await bobOnAdmin()).toBe(403);
  });
});

describe.skipIf(!frontAvailable('nginx'))('the signer behind nginx, polling POLICY_FILE', () => {
  let stack: TestStack;
  afterAll(async () => {
    await stack?.cleanup();
  });

  it('picks up an edit by itself within POLICY_CHECK_INTERVAL_S', async () => {
    const file = policyFile(DEMO);
    stack = await launch('nginx', { POLICY_FILE: file, POLICY_CHECK_INTERVAL_S: '1' });
    await loginPacer()('/login');
    const bob = await login(stack.url, 'bob', 'builder');
    const bobOnAdmin = async () => (await http(`${stack.url}/admin`, { headers: { Authorization: `Bearer ${bob}` } })).status;
    expect(await bobOnAdmin()).toBe(403);
    writeFileSync(file, ADMIN_FOR_USERS);
    await expect.poll(bobOnAdmin, { timeout: 5000, interval: 100 }).toBe(200);
  });
});

function isReloadLine(line: string): boolean {
  return (line.includes('"msg":"policy loaded"') && line.includes('"reason":"SIGHUP"')) || line.includes('the policy did not load');
}
