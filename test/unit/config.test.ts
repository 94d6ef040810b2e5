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

  it('takes the session and browser defaults', () => {
    const result = parseConfig({});
    expect(result.ok && result.config).toMatchObject({
      REFRESH_TTL_S: 604800,
      SESSION_MAX_AGE_S: 2592000,
      REFRESH_GRACE_S: 10,
      PUBLIC_ORIGIN: 'http://127.0.0.1:8080',
      COOKIE_SECURE: true,
    });
  });

  it.each([
    ['REFRESH_TTL_S', '60', 60],
    ['REFRESH_TTL_S', '31536000', 31536000],
    ['SESSION_MAX_AGE_S', '60', 60],
    ['SESSION_MAX_AGE_S', '31536000', 31536000],
    ['REFRESH_GRACE_S', '0', 0],
    ['REFRESH_GRACE_S', '60', 60],
  ])('accepts %s=%s at the edge of its range', (name, value, parsed) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok && result.config).toMatchObject({ [name]: parsed });
  });

  it.each([
    ['REFRESH_TTL_S', '59'],
    ['REFRESH_TTL_S', '31536001'],
    ['REFRESH_TTL_S', '-1'],
    ['REFRESH_TTL_S', '1.5'],
    ['REFRESH_TTL_S', '7d'],
    ['SESSION_MAX_AGE_S', '59'],
    ['SESSION_MAX_AGE_S', '31536001'],
    ['SESSION_MAX_AGE_S', 'forever'],
    ['REFRESH_GRACE_S', '61'],
    ['REFRESH_GRACE_S', '-1'],
    ['REFRESH_GRACE_S', 'ten'],
    ['COOKIE_SECURE', 'yes'],
    ['COOKIE_SECURE', '1'],
    ['COOKIE_SECURE', 'TRUE'],
  ])('rejects %s=%s', (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(!result.ok && result.problems.map((p) => p.variable)).toEqual([name]);
  });

  describe('PUBLIC_ORIGIN', () => {
    it.each([
      ['an https origin', 'https://gw.example.com', 'https://gw.example.com'],
      ['a trailing slash', 'https://gw.example.com/', 'https://gw.example.com'],
      ['the default https port', 'https://gw.example.com:443', 'https://gw.example.com'],
      ['the default http port', 'http://localhost:80/', 'http://localhost'],
      ['another port', 'https://gw.example.com:8443', 'https://gw.example.com:8443'],
      ['capitals', 'HTTPS://GW.Example.COM', 'https://gw.example.com'],
      ['an IPv6 loopback', 'http://[::1]:8080', 'http://[::1]:8080'],
    ])('accepts %s, normalised to the origin', (_case, value, origin) => {
      const result = parseConfig({ PUBLIC_ORIGIN: value });
      expect(result.ok && result.config.PUBLIC_ORIGIN).toBe(origin);
    });

    it.each([
      ['a path', 'https://gw.example.com/app'],
      ['a path with a trailing slash', 'https://gw.example.com/app/'],
      ['a query', 'https://gw.example.com/?next=1'],
      ['a fragment', 'https://gw.example.com/#top'],
      ['a user name', 'https://admin@gw.example.com'],
      ['a user name and password', 'https://admin:secret@gw.example.com'],
      ['an ftp scheme', 'ftp://gw.example.com'],
      ['a WebSocket scheme', 'wss://gw.example.com'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['a file URL', 'file:///etc/passwd'],
      ['no scheme', 'gw.example.com'],
      ['a scheme-relative URL', '//gw.example.com'],
      ['not a URL', 'the gateway'],
    ])('rejects %s', (_case, value) => {
      const result = parseConfig({ PUBLIC_ORIGIN: value });
      expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['PUBLIC_ORIGIN']);
    });
  });

  describe('COOKIE_SECURE', () => {
    it.each([
      ['the default', {}],
      ['true', { COOKIE_SECURE: 'true' }],
    ])('rejects Secure cookies (%s) for a plain-http public origin, naming COOKIE_SECURE', (_case, env) => {
      const result = parseConfig({ ...env, PUBLIC_ORIGIN: 'http://gw.example.com' });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems.map((p) => p.variable)).toEqual(['COOKIE_SECURE']);
      expect(formatProblems(result.problems)).toMatch(/^ {2}- COOKIE_SECURE: /m);
    });

    it.each(['http://10.0.0.5:8080', 'http://0.0.0.0:8080', 'http://localhost.example.com', 'http://127.0.0.1.nip.io'])(
      'rejects Secure cookies for %s, which is not loopback',
      (value) => {
        const result = parseConfig({ COOKIE_SECURE: 'true', PUBLIC_ORIGIN: value });
        expect(!result.ok && result.problems.map((p) => p.variable)).toEqual(['COOKIE_SECURE']);
      },
    );

    it.each(['https://gw.example.com', 'http://localhost:8080', 'http://LOCALHOST', 'http://127.0.0.1', 'http://127.1.2.3:9000', 'http://[::1]:8080'])(
      'accepts Secure cookies for %s',
      (value) => {
        const result = parseConfig({ COOKIE_SECURE: 'true', PUBLIC_ORIGIN: value });
        expect(result.ok && result.config.COOKIE_SECURE).toBe(true);
      },
    );

    it.each(['http://gw.example.com', 'http://10.0.0.5:8080', 'https://gw.example.com', 'http://localhost:8080'])(
      'accepts COOKIE_SECURE=false with %s',
      (value) => {
        const result = parseConfig({ COOKIE_SECURE: 'false', PUBLIC_ORIGIN: value });
        expect(result.ok && result.config.COOKIE_SECURE).toBe(false);
      },
    );
  });

  it('documents every variable with a line of doc in the generated table', () => {
    const table = configTable();
    for (const [name, v] of Object.entries(variables)) {
      expect(v.doc.length).toBeGreaterThan(10);
      expect(table).toContain(`| \`${name}\` |`);
    }
  });
});
