import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answersHttp, startProcess, type ManagedProcess } from '../scripts/stack/managed-process.js';
import { createPrefix, nginxArgs } from '../scripts/stack/nginx.js';
import { ENTRY, MAIN_CONF } from '../scripts/stack/paths.js';

/** The fixed identity the no-auth proxy hands the app, so the app does the same work as behind tokengate. */
export interface StaticIdentity {
  sub: string;
  roles: string;
  claims: string;
}

// Only values that need no escaping in an nginx string; anything else is left out.
const SAFE = /^[\w.,@:+=-]*$/;

/**
 * Setup (a), the limit: the project's own main nginx.conf around a bench-only server that proxies
 * straight to the app with the same upstream keepalive, proxy headers and access log as the
 * template, and no auth_request. Bench-only: never part of the product path.
 */
export function plainServerConf(port: number, upstreamAddr: string, id: StaticIdentity): string {
  const header = (name: string, value: string) => (SAFE.test(value) ? `        proxy_set_header ${name} "${value}";\n` : '');
  return `upstream bench_app {
    server ${upstreamAddr};
    keepalive 32;
    keepalive_timeout 60s;
}
log_format tokengate '$remote_addr [$time_local] "$request_method $uri $server_protocol" '
                     '$status $body_bytes_sent $request_time "$http_user_agent" id=$request_id';
server {
    listen 127.0.0.1:${port};
    server_tokens off;
    location / {
        proxy_pass http://bench_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header Authorization "";
${header('X-Auth-Sub', id.sub)}${header('X-Auth-Roles', id.roles)}${header('X-Auth-Claims', id.claims)}        proxy_set_header X-Auth-Kind "user";
    }
}
`;
}

/** Starts nginx with plainServerConf on 127.0.0.1:port, under the project's nginx guard. */
export async function startPlainNginx(opts: { nginxBin: string; version: string; workDir: string; port: number; upstreamAddr: string; identity: StaticIdentity }): Promise<ManagedProcess> {
  mkdirSync(join(opts.workDir, 'logs'), { recursive: true });
  const prefix = createPrefix(opts.workDir);
  writeFileSync(join(prefix.dir, 'nginx.conf'), readFileSync(MAIN_CONF, 'utf8'));
  writeFileSync(join(prefix.dir, 'tokengate.conf'), plainServerConf(opts.port, opts.upstreamAddr, opts.identity));
  const args = [ENTRY.nginxGuard, ...(prefix.temporary ? ['--remove-dir', prefix.dir] : []), '--', opts.nginxBin, ...nginxArgs(prefix.dir, opts.version)];
  return startProcess({
    name: 'nginx-plain',
    command: process.execPath,
    args,
    cwd: prefix.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ready: (signal) => answersHttp(`http://127.0.0.1:${opts.port}/healthz`, signal),
    logFile: join(opts.workDir, 'logs', 'nginx-plain.log'),
    stdoutFile: join(opts.workDir, 'logs', 'nginx-plain-access.log'),
    stopSignal: 'SIGQUIT',
    ipc: true,
  });
}
