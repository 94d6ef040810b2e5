import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_POLICY, ROOT } from '../../scripts/stack/paths.js';
import { TEST_SECRET } from '../fixtures/config.js';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'tokengate-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `tokengate check-config` in a directory of its own, with a clean environment plus `env`. */
function checkConfig(env: Record<string, string>) {
  const res = spawnSync(process.execPath, [CLI, 'check-config'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', JWT_SECRET: TEST_SECRET, ...env },
    encoding: 'utf8',
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('tokengate check-config and POLICY_FILE', () => {
  it('summarises a policy that loads', () => {
    const res = checkConfig({ POLICY_FILE: DEMO_POLICY });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`policy:   ${DEMO_POLICY}: 6 rules, unmatched paths deny`);
  });

  it('says there is none without POLICY_FILE', () => {
    expect(checkConfig({}).stdout).toContain('policy:   none (POLICY_FILE unset)');
  });

  it('names every problem of a policy that does not load, and exits 1', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'default: open\nrules:\n  - { path: /a/**/b, allow: public }\n');
    const res = checkConfig({ POLICY_FILE: file });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      [
        'tokengate: invalid configuration:',
        '  - POLICY_FILE: default: must be public, authenticated or deny',
        '  - POLICY_FILE: rules[0].path: ** may only be the last segment (got "/a/**/b")',
        '',
      ].join('\n'),
    );
  });
});
