import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MAIN_CONF, TEMPLATE } from './paths.js';

/** The template's variables: addresses and ports only. */
export interface TemplateVars {
  GATEWAY_HOST: string;
  GATEWAY_PORT: string;
  SIGNER_ADDR: string;
  UPSTREAM_ADDR: string;
}

const INSTALL_HINT = 'install it with `npm run install-deps` (or `sudo apt-get install nginx`)';

/** Replaces `${NAME}` like envsubst; a variable the template uses but nobody gave is an error, not a blank. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`nginx template uses \${${name}} but no value was given`);
    return value;
  });
}

/** The nginx binary: the configured one, else `nginx` on PATH, else /usr/sbin/nginx; undefined when none. */
export function findNginx(configured?: string): string | undefined {
  const candidates = configured ? [configured] : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'nginx')), '/usr/sbin/nginx'];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `nginx -V` says whether auth_request is compiled in; without it the template cannot work. */
export function checkNginx(bin: string): { version: string } {
  const run = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const version = /nginx version: [\w-]+\/([\w.]+)/.exec(text)?.[1];
  if (!version) throw new Error(`${bin} does not look like nginx; ${INSTALL_HINT}`);
  if (!text.includes('--with-http_auth_request_module')) throw new Error(`${bin} (nginx ${version}) lacks the auth_request module`);
  return { version };
}

/** Writes nginx.conf and the rendered tokengate.conf into a private prefix nginx can run from without root. */
export function preparePrefix(prefix: string, vars: TemplateVars): void {
  mkdirSync(prefix, { recursive: true });
  // When started as root, nginx's workers run as nobody and must reach the temp dirs inside.
  if (process.getuid?.() === 0) chmodSync(prefix, 0o755);
  writeFileSync(join(prefix, 'nginx.conf'), readFileSync(MAIN_CONF, 'utf8'));
  writeFileSync(join(prefix, 'tokengate.conf'), renderTemplate(readFileSync(TEMPLATE, 'utf8'), { ...vars }));
}

/** Arguments to run nginx in the foreground from the prefix, logging errors to stderr. */
export function nginxArgs(prefix: string): string[] {
  const globals = ['daemon off;'];
  if (process.getuid?.() === 0) globals.push(`user nobody ${hasGroup('nogroup') ? 'nogroup' : 'nobody'};`);
  return ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr', '-g', globals.join(' ')];
}

function hasGroup(name: string): boolean {
  try {
    return readFileSync('/etc/group', 'utf8').split('\n').some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/** host:port as nginx's `server` wants it: a wildcard bind becomes loopback, IPv6 gets brackets. */
export function nginxAddr(host: string, port: number | string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]:${port}` : `${reachable}:${port}`;
}

export { INSTALL_HINT };
