import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/config/edit-distance.js';
import { findUnknownVariables, PREFIXES, READ_ELSEWHERE } from '../../src/config/unknown-variables.js';
import { variables } from '../../src/config/variables.js';
import { WORKER_ENV } from '../../src/server/cluster-worker.js';
import { TESTDATA_DIR_VARIABLE } from '../fixtures/shared-testdata.js';

const find = (...names: string[]) => findUnknownVariables(Object.fromEntries(names.map((n) => [n, 'some-value'])));

describe('the edit distance', () => {
  it.each([
    ['JWT_ALG', 'JWT_ALG', 0],
    ['JWT_ALGO', 'JWT_ALG', 1],
    ['SIGNER_PROT', 'SIGNER_PORT', 1],
    ['KEY_DIR', 'KEYS_DIR', 1],
    ['TOKEN_TTL', 'TOKEN_TTL_S', 2],
    ['ab', 'ba', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('puts %s at %i from %s', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('variables that look like tokengate settings', () => {
  it.each([
    ['REDIS_FAIL_OPEN', 'STORE_FAIL_OPEN'],
    ['JWT_ALGO', 'JWT_ALG'],
    ['SIGNER_PROT', 'SIGNER_PORT'],
    ['jwt_alg', 'JWT_ALG'],
    ['Jwt_Alg', 'JWT_ALG'],
    ['TOKEN_TTL', 'TOKEN_TTL_S'],
    ['PUBLIC_ORIGN', 'PUBLIC_ORIGIN'],
    ['LOGLEVEL', 'LOG_LEVEL'],
    ['CLAIMS_HEADERS', 'CLAIM_HEADERS'],
    ['REDIS_TIMEOUT', 'REDIS_TIMEOUT_MS'],
    ['COOKIE_SECURE_FLAG', 'COOKIE_SECURE'],
    ['STRICT_CONFG', 'STRICT_CONFIG'],
    ['TOKENGATE_JWT_ALG', 'JWT_ALG'],
    ['TOKENGATE_SIGNER_PROT', 'SIGNER_PORT'],
  ])('reports %s as probably meaning %s', (name, suggestion) => {
    expect(find(name)).toEqual([{ variable: name, suggestion }]);
  });

  it.each([
    ['TOKENGATE_WHATEVER', 'it shares no word with any setting'],
    ['TOKENGATE_PORT', 'SIGNER_PORT and GATEWAY_PORT are as likely'],
    ['SIGNER_TIMEOUT_MS', 'three *_TIMEOUT_MS settings are as likely'],
    ['REDIS_DATABASE', 'REDIS_URL, REDIS_PASSWORD and the other REDIS_* are as likely'],
    ['JWT_ZZZ_S', 'a unit word alone says nothing'],
  ])('reports %s without a suggestion: %s', (name) => {
    expect(find(name)).toEqual([{ variable: name }]);
  });

  it.each([
    // The system, the shell, the desktop.
    ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'PWD', 'OLDPWD', 'SHLVL', 'TZ', 'HOSTNAME'],
    ['SESSION_MANAGER', 'DISPLAY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', 'SSH_AUTH_SOCK', 'LS_COLORS', 'EDITOR', 'PAGER', 'LESSOPEN'],
    // Node and npm, vitest and CI runners.
    ['NODE_ENV', 'NODE_OPTIONS', 'NODE_VERSION', 'YARN_VERSION', 'npm_config_cache', 'npm_package_name', 'npm_lifecycle_event', 'INIT_CWD', 'COLOR'],
    [
      'CI',
      'VITEST',
      'VITEST_POOL_ID',
      'VITEST_WORKER_ID',
      'GITHUB_ACTIONS',
      'GITHUB_TOKEN',
      'RUNNER_OS',
      'RUNNER_TEMP',
      'CI_JOB_ID',
      'BUILD_NUMBER',
      'JOB_NAME',
    ],
    // The nginx image, other software's logs and clients, proxies.
    [
      'NGINX_VERSION',
      'NGINX_ENVSUBST_TEMPLATE_DIR',
      'NGINX_ENVSUBST_FILTER',
      'NJS_VERSION',
      'LOG_FORMAT',
      'LOG_DIR',
      'DEBUG',
      'PUBLIC_URL',
      'CLIENT_ID',
      'CLIENT_SECRET',
    ],
    ['HTTP_PROXY', 'https_proxy', 'NO_PROXY', 'DEBIAN_FRONTEND', 'GATEWAY_INTERFACE', 'TOKEN', 'KEY_ID', 'SECRET_KEY', 'DATABASE_URL'],
    // Kubernetes service links, for services named like tokengate's parts.
    [
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_PORT_443_TCP_ADDR',
      'REDIS_SERVICE_HOST',
      'REDIS_SERVICE_PORT',
      'REDIS_PORT',
      'REDIS_PORT_6379_TCP',
      'REDIS_PORT_6379_TCP_PROTO',
      'SIGNER_SERVICE_PORT_HTTP',
    ],
    // What tokengate, its runner and tests read outside the schema.
    [...READ_ELSEWHERE],
    // Every setting of the schema, spelt right.
    Object.keys(variables),
  ])('reports none of %s, ...', (...names) => {
    expect(find(...names)).toEqual([]);
  });

  it('reports REDIS_PORT when no Kubernetes service link stands beside it', () => {
    expect(find('REDIS_PORT')).toEqual([{ variable: 'REDIS_PORT' }]);
  });

  it('ignores a variable set to the empty string, as tokengate does its own', () => {
    expect(findUnknownVariables({ REDIS_FAIL_OPEN: '', JWT_ALGO: undefined })).toEqual([]);
  });

  it('knows the names the code reads outside the schema', () => {
    expect(READ_ELSEWHERE).toContain(WORKER_ENV);
    expect(READ_ELSEWHERE).toContain(TESTDATA_DIR_VARIABLE);
  });

  it('takes every prefix but TOKENGATE_ from a setting of its own', () => {
    const names = Object.keys(variables);
    for (const prefix of PREFIXES.filter((p) => p !== 'TOKENGATE_'))
      expect(
        names.some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });
});
