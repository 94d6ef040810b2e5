import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/config/load.js';
import { configTable } from '../../src/config/docs.js';
import { variables } from '../../src/config/variables.js';

describe('configuration', () => {
  it('takes every default when the environment is empty', () => {
    const result = parseConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      SIGNER_PORT: 9000,
      AUTHENTICATE_URL: 'http://127.0.0.1:5000/authenticate',
      AUTHENTICATE_TIMEOUT_MS: 5000,
      TOKEN_TTL_S: 900,
      ISSUER: 'tokengate',
      CLOCK_SKEW_S: 30,
      JWT_SECRET_FILE: 'secrets/jwt-secret',
      GATEWAY_PORT: 8080,
    });
    expect(result.config.AUDIENCE).toBeUndefined();
    expect(result.config.JWT_SECRET).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    const result = parseConfig({ AUDIENCE: '', TOKEN_TTL_S: '' });
    expect(result.ok && result.config.AUDIENCE).toBeUndefined();
    expect(result.ok && result.config.TOKEN_TTL_S).toBe(900);
  });

  it('reports every problem at once, each naming its variable', () => {
    const result = parseConfig({ TOKEN_TTL_S: 'soon', SIGNER_PORT: '70000', AUTHENTICATE_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.variable).sort()).toEqual(['AUTHENTICATE_URL', 'LOG_LEVEL', 'SIGNER_PORT', 'TOKEN_TTL_S']);
    const text = formatProblems(result.problems);
    expect(text).toMatch(/TOKEN_TTL_S: .*whole number/);
    expect(text).toMatch(/SIGNER_PORT: must be at most 65535 \(got "70000"\)/);
  });

  it('refuses a short JWT_SECRET without echoing it', () => {
    const result = parseConfig({ JWT_SECRET: 'short-secret-value' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ variable: 'JWT_SECRET', message: 'must be at least 32 bytes long' }]);
    expect(formatProblems(result.problems)).not.toContain('short-secret-value');
  });

  it.each([
    ['TOKEN_TTL_S', '0'],
    ['TOKEN_TTL_S', '-5'],
    ['TOKEN_TTL_S', '1.5'],
    ['CLOCK_SKEW_S', '301'],
    ['AUTHENTICATE_TIMEOUT_MS', '99'],
    ['GATEWAY_PORT', '0'],
    ['SIGNER_HOST', 'bad host'],
    ['FRONT', 'apache'],
    ['UPSTREAM_URL', 'not a url'],
  ])('rejects %s=%s', (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual([name]);
  });

  it('documents every variable with a line of doc in the generated table', () => {
    const table = configTable();
    for (const [name, v] of Object.entries(variables)) {
      expect(v.doc.length).toBeGreaterThan(10);
      expect(table).toContain(`| \`${name}\` |`);
    }
  });
});
