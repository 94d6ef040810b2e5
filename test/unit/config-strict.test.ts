import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { checkConfig } from '../../src/cli/check-config.js';
import { formatProblems, formatWarnings, loadConfigOrExit, parseConfig } from '../../src/config/load.js';
import { logConfigWarnings, UNKNOWN_VARIABLE_MESSAGE } from '../../src/config/log-warnings.js';
import { TEST_SECRET } from '../fixtures/config.js';
import { capturingLogger } from '../fixtures/signer.js';

// Values a misspelt setting might hold: none may ever be printed.
const VALUE = 'hunter2-do-not-print';
const MISSPELT = { REDIS_FAIL_OPEN: VALUE, TOKENGATE_WHATEVER: VALUE };

describe('unknown variables, STRICT_CONFIG unset', () => {
  it('defaults STRICT_CONFIG to false', () => {
    const result = parseConfig({});
    expect(result.ok && result.config.STRICT_CONFIG).toBe(false);
    expect(result.warnings).toEqual([]);
  });

  it('accepts the configuration and warns about each, naming the setting probably meant', () => {
    const result = parseConfig(MISSPELT);
    expect(result.ok).toBe(true);
    expect(result.warnings.map(({ variable, suggestion }) => ({ variable, suggestion }))).toEqual([
      { variable: 'REDIS_FAIL_OPEN', suggestion: 'STORE_FAIL_OPEN' },
      { variable: 'TOKENGATE_WHATEVER', suggestion: undefined },
    ]);
    expect(formatWarnings(result.warnings)).toBe(
      [
        'tokengate: warning: REDIS_FAIL_OPEN: not a tokengate variable, so it has no effect; did you mean STORE_FAIL_OPEN?',
        'tokengate: warning: TOKENGATE_WHATEVER: not a tokengate variable, so it has no effect',
      ].join('\n'),
    );
  });

  it('keeps the warnings beside the problems when the configuration is invalid anyway', () => {
    const result = parseConfig({ ...MISSPELT, TOKEN_TTL_S: 'soon' });
    expect(result.ok).toBe(false);
    expect(result.warnings.map((w) => w.variable)).toEqual(['REDIS_FAIL_OPEN', 'TOKENGATE_WHATEVER']);
  });

  it('logs one warn line per variable with stable fields, never the value', () => {
    const { logger, lines } = capturingLogger();
    logConfigWarnings(logger, parseConfig(MISSPELT).warnings);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toMatchObject([
      { level: 40, msg: UNKNOWN_VARIABLE_MESSAGE, variable: 'REDIS_FAIL_OPEN', suggestion: 'STORE_FAIL_OPEN' },
      { level: 40, msg: UNKNOWN_VARIABLE_MESSAGE, variable: 'TOKENGATE_WHATEVER' },
    ]);
    expect(logged[1]).not.toHaveProperty('suggestion');
    expect(lines.join('')).not.toContain(VALUE);
  });
});

describe('unknown variables, STRICT_CONFIG=true', () => {
  it('makes each a problem reported with all the others, naming the setting probably meant', () => {
    const result = parseConfig({ ...MISSPELT, STRICT_CONFIG: 'true', SIGNER_PORT: '70000' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.variable)).toEqual(['SIGNER_PORT', 'REDIS_FAIL_OPEN', 'TOKENGATE_WHATEVER']);
    expect(result.warnings).toEqual([]);
    const text = formatProblems(result.problems);
    expect(text).toMatch(/^ {2}- REDIS_FAIL_OPEN: not a tokengate variable \(STRICT_CONFIG=true refuses unknown ones\); did you mean STORE_FAIL_OPEN\?$/m);
    expect(text).toMatch(/^ {2}- TOKENGATE_WHATEVER: not a tokengate variable \(STRICT_CONFIG=true refuses unknown ones\)$/m);
    expect(text).not.toContain(VALUE);
  });

  it('accepts a configuration without unknown variables', () => {
    const result = parseConfig({ STRICT_CONFIG: 'true', STORE_FAIL_OPEN: 'true', PATH: '/usr/bin', HOME: '/root', NODE_ENV: 'production' });
    expect(result.ok && result.config.STRICT_CONFIG).toBe(true);
  });

  it('only warns when STRICT_CONFIG itself does not parse, which is a problem of its own', () => {
    const result = parseConfig({ ...MISSPELT, STRICT_CONFIG: 'yes' });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['STRICT_CONFIG']);
    expect(result.warnings.map((w) => w.variable)).toEqual(['REDIS_FAIL_OPEN', 'TOKENGATE_WHATEVER']);
  });

  describe('at start', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('exits 2 with the problem on stderr', () => {
      const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${String(code)}`);
      });
      let stderr = '';
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      expect(() => loadConfigOrExit({ REDIS_FAIL_OPEN: VALUE, STRICT_CONFIG: 'true' })).toThrow('exit 2');
      expect(exit).toHaveBeenCalledWith(2);
      expect(stderr).toMatch(/- REDIS_FAIL_OPEN: .*did you mean STORE_FAIL_OPEN\?/);
      expect(stderr).not.toContain(VALUE);
    });
  });
});

describe('tokengate check-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-strict-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { JWT_SECRET: TEST_SECRET, KEYS_DIR: join(dir, 'keys'), CLIENTS_DIR: join(dir, 'clients'), ...MISSPELT };

  async function run(extra: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const status = await checkConfig({ env: { ...env, ...extra }, out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } });
    return { status, out, err };
  }

  it('lists the unknown variables under a valid configuration', async () => {
    const res = await run();
    expect(res.status).toBe(0);
    expect(res.out).toMatch(/^configuration OK/);
    expect(res.out).toContain('  warning:  REDIS_FAIL_OPEN: not a tokengate variable, so it has no effect; did you mean STORE_FAIL_OPEN?\n');
    expect(res.out).toContain('  warning:  TOKENGATE_WHATEVER: not a tokengate variable, so it has no effect\n');
    expect(res.out + res.err).not.toContain(VALUE);
  });

  it('fails on them with STRICT_CONFIG=true', async () => {
    const res = await run({ STRICT_CONFIG: 'true' });
    expect(res.status).toBe(1);
    expect(res.err).toMatch(/^ {2}- REDIS_FAIL_OPEN: .*did you mean STORE_FAIL_OPEN\?$/m);
    expect(res.out + res.err).not.toContain(VALUE);
  });
});
