import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable } from './find-executable.js';
import { LUA_DIR, MAIN_CONF, NGINX_DIR, OPENRESTY_TEMPLATE, SNIPPETS, TEMPLATE } from './paths.js';
import { LUA_MODULES } from './lua-module.js';
import { bracketHost } from './ports.js';
import { nginxClaimLines, type ClaimHeader } from '../../src/auth/claim-headers.js';

/** The template's variables: addresses and ports only. */
export interface TemplateVars {
  GATEWAY_HOST: string;
  GATEWAY_PORT: string;
  /** One address, or several signer instances: the `server ${SIGNER_ADDR};` line is repeated for each. */
  SIGNER_ADDR: string | string[];
  UPSTREAM_ADDR: string;
}

const INSTALL_HINT = 'install it with `npm run install-deps` (or `sudo apt-get install nginx`)';

const VARIABLE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` like envsubst; a variable the template uses but nobody gave is an error, not
 * a blank. A list value repeats its whole line once per item (docker's envsubst cannot: there,
 * one service name that resolves to every replica does the same).
 */
export function renderTemplate(template: string, vars: Record<string, string | string[]>): string {
  const value = (name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`nginx template uses \${${name}} but no value was given`);
    return v;
  };
  return template
    .split('\n')
    .flatMap((line) => {
      const lists = [...line.matchAll(VARIABLE)].map((m) => m[1]!).filter((name) => Array.isArray(value(name)));
      if (lists.length > 1) throw new Error(`nginx template line uses two list variables: ${line.trim()}`);
      const items = lists.length === 1 ? (value(lists[0]!) as string[]) : [undefined];
      if (items.length === 0) throw new Error(`nginx template variable \${${lists[0]}} is an empty list`);
      return items.map((item) => line.replace(VARIABLE, (_m, name: string) => (name === lists[0] ? item! : (value(name) as string))));
    })
    .join('\n');
}

/** The nginx binary: the configured one, else `nginx` on PATH, else /usr/sbin/nginx; undefined when none. */
export const findNginx = (configured?: string): string | undefined => findExecutable('nginx', '/usr/sbin/nginx', configured);

/** `nginx -V` says whether auth_request is compiled in; without it the template cannot work. */
export function checkNginx(bin: string): { version: string } {
  const run = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const version = /nginx version: [\w-]+\/([\w.]+)/.exec(text)?.[1];
  if (!version) throw new Error(`${bin} does not look like nginx; ${INSTALL_HINT}`);
  if (!text.includes('--with-http_auth_request_module')) throw new Error(`${bin} (nginx ${version}) lacks the auth_request module`);
  return { version };
}

/** nginx's workers run as nobody when it is started as root. */
const asRoot = () => process.getuid?.() === 0;

/**
 * Where nginx runs from: `workDir/nginx`, or as root a fresh directory under the temp dir. Root's
 * workers run as nobody and must traverse every parent of client_body_temp to buffer a large body,
 * which a 0700 temp dir or /root would forbid. `temporary` says the caller removes it on stop.
 */
export function createPrefix(workDir: string): { dir: string; temporary: boolean } {
  if (!asRoot()) {
    mkdirSync(join(workDir, 'nginx'), { recursive: true });
    return { dir: join(workDir, 'nginx'), temporary: false };
  }
  const base = realpathSync(tmpdir());
  for (let dir = base; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) throw new Error(`${dir} is not searchable by nginx's workers (user nobody); set TMPDIR to a directory that is`);
    if (dir === dirname(dir)) break;
  }
  const dir = mkdtempSync(join(base, 'tokengate-nginx-'));
  chmodSync(dir, 0o755);
  return { dir, temporary: true };
}

/**
 * Writes the snippets into `dir/snippets/`, a `.template` rendered without its suffix, as an
 * operator installs them into an nginx of their own (and the nginx image renders them).
 */
export function writeSnippets(dir: string, vars: Pick<TemplateVars, 'SIGNER_ADDR'>): void {
  mkdirSync(join(dir, 'snippets'), { recursive: true });
  for (const file of Object.values(SNIPPETS)) {
    const text = readFileSync(join(NGINX_DIR, file), 'utf8');
    const rendered = file.endsWith('.template') ? renderTemplate(text, { ...vars }) : text;
    writeFileSync(join(dir, file.replace(/\.template$/, '')), rendered);
  }
}

/**
 * Writes nginx.conf, the rendered tokengate.conf and its snippets into the prefix (from
 * createPrefix), so nginx runs without /etc, and the claim header lines (CLAIM_HEADERS) the
 * protect snippet includes, if any. The OpenResty front's main config loads the Lua module
 * first, its template is the OpenResty one, and its Lua code goes to `lua/`.
 */
export function preparePrefix(prefix: string, vars: TemplateVars, claimHeaders: readonly ClaimHeader[] = [], openresty = false): void {
  const modules = openresty ? LUA_MODULES.map((m) => `load_module ${m};\n`).join('') : '';
  writeFileSync(join(prefix, 'nginx.conf'), modules + readFileSync(MAIN_CONF, 'utf8'));
  writeFileSync(join(prefix, 'tokengate.conf'), renderTemplate(readFileSync(openresty ? OPENRESTY_TEMPLATE : TEMPLATE, 'utf8'), { ...vars }));
  writeSnippets(prefix, vars);
  if (openresty) cpSync(LUA_DIR, join(prefix, 'lua'), { recursive: true });
  if (claimHeaders.length > 0) writeFileSync(join(prefix, 'tokengate-claims.conf'), nginxClaimLines(claimHeaders));
}

/**
 * The main config with its access log turned off, for the benchmark (a line per request is not
 * the gateway's cost); throws when it has no `access_log` line to turn off.
 */
export function accessLogOff(mainConf: string): string {
  const off = mainConf.replace(/^(\s*)access_log\s[^;]*;/m, '$1access_log off;');
  if (off === mainConf) throw new Error('nginx/nginx.conf has no access_log line to turn off');
  return off;
}

/** True when dotted version `a` is `b` or later, compared part by part as numbers (1.19.10 > 1.19.5). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Arguments to run nginx in the foreground from the prefix. `-e stderr` (nginx 1.19.5 and later)
 * keeps it from opening its compiled-in error log before it reads the config; 1.18 (Ubuntu 22.04,
 * Debian 11) refuses the option, and only warns about that log before `error_log stderr` applies.
 */
export function nginxArgs(prefix: string, version: string): string[] {
  const globals = ['daemon off;'];
  if (asRoot()) globals.push(`user nobody ${hasGroup('nogroup') ? 'nogroup' : 'nobody'};`);
  const errorLog = versionAtLeast(version, '1.19.5') ? ['-e', 'stderr'] : [];
  return ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), ...errorLog, '-g', globals.join(' ')];
}

function hasGroup(name: string): boolean {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/** host:port as nginx's `server` wants it: a wildcard bind becomes loopback, IPv6 gets brackets. */
export function nginxAddr(host: string, port: number | string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${bracketHost(reachable)}:${port}`;
}

export { INSTALL_HINT };
