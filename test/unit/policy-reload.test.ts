import { mkdtempSync, rmSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy, type LoadedPolicy } from '../../src/policy/load-policy.js';
import { startPolicyReloader, type PolicyReloader } from '../../src/policy/policy-reloader.js';
import { capturingLogger } from '../fixtures/signer.js';

const ADMIN_ONLY = 'rules: [{ path: /admin/**, anyRole: [admin] }]\n';
const OPEN = 'default: authenticated\nrules: [{ path: /admin/**, anyRole: [admin] }]\n';
const BROKEN = 'rules: [{ path: admin/**, anyRole: [admin] }]\n';

const dirs: string[] = [];
const reloaders: PolicyReloader[] = [];
afterAll(() => {
  for (const r of reloaders) r.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function follow(text: string, intervalMs = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-policy-'));
  dirs.push(dir);
  const file = join(dir, 'policy.yaml');
  await writeFile(file, text);
  const loaded = await loadPolicy(file);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { logger, lines } = capturingLogger();
  const reloader = startPolicyReloader({ file, initial: loaded.loaded satisfies LoadedPolicy, logger, intervalMs });
  reloaders.push(reloader);
  const logged = () => lines.map((l) => JSON.parse(l) as { level: number; msg: string; problems?: string[]; changed?: boolean });
  /** The requirement for a path no rule matches: tells the two test policies apart. */
  const fallback = () => reloader.policy().default.kind;
  return { file, reloader, logged, fallback };
}

describe('reloading the policy while the signer runs', () => {
  it('applies a valid edit on SIGHUP', async () => {
    const { file, reloader, fallback, logged } = await follow(ADMIN_ONLY);
    expect(fallback()).toBe('deny');
    await writeFile(file, OPEN);
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(fallback()).toBe('authenticated');
    expect(logged().at(-1)).toMatchObject({ level: 30, msg: 'policy loaded', changed: true });
  });

  it('keeps the previous policy when the file is broken or gone, and logs every problem', async () => {
    const { file, reloader, fallback, logged } = await follow(ADMIN_ONLY);
    const before = reloader.policy();
    await writeFile(file, BROKEN);
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(reloader.policy()).toBe(before);
    expect(logged().at(-1)).toMatchObject({
      level: 50,
      msg: 'the policy did not load; the previous policy stays in use',
      problems: ['rules[0].path: must start with / (got "admin/**")'],
    });
    await rm(file);
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(fallback()).toBe('deny');
    expect(logged().at(-1)).toMatchObject({ level: 50, problems: [expect.stringContaining('(ENOENT)')] });
  });

  it('picks up an edit in place and a file renamed over it by itself, and logs a broken file once', async () => {
    const { file, reloader, fallback, logged } = await follow(ADMIN_ONLY, 20);
    await writeFile(file, OPEN);
    await expect.poll(fallback, { timeout: 2000, interval: 10 }).toBe('authenticated');

    await writeFile(file, BROKEN);
    await expect.poll(() => logged().filter((l) => l.level === 50).length, { timeout: 2000, interval: 10 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(logged().filter((l) => l.level === 50)).toHaveLength(1);
    expect(fallback()).toBe('authenticated');

    // As an editor or a config tool saves: a new file renamed over the old one.
    await writeFile(`${file}.tmp`, ADMIN_ONLY);
    await rename(`${file}.tmp`, file);
    await expect.poll(fallback, { timeout: 2000, interval: 10 }).toBe('deny');
    expect(reloader.policy().rules).toHaveLength(1);
  });
});
