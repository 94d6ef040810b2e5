import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answersHttp, startProcess, type ManagedProcess } from '../../scripts/stack/managed-process.js';
import { accessLogOff, createPrefix, nginxArgs, renderTemplate } from '../../scripts/stack/nginx.js';
import { ENTRY, MAIN_CONF, NGINX_DIR, SNIPPETS, TEMPLATE } from '../../scripts/stack/paths.js';

/**
 * The statement of the template that starts with `head` and ends at `end`: a block's `}` alone at
 * the start of a line (not the one of a `${VARIABLE}`), or a directive's `;`. A clear error if gone.
 */
function statementOf(template: string, head: string, end: '\n}' | ';'): string {
  const start = template.indexOf(head);
  const stop = start === -1 ? -1 : template.indexOf(end, start) + end.length - 1;
  if (start === -1 || stop < start) throw new Error(`nginx/ has no \`${head}\` any more where bench/nginx/bench-nginx.ts copies it from; it must follow`);
  return template.slice(start, stop + 1);
}

/**
 * The template's own app upstream (its keepalive pool) and access log format, copied out of it, so
 * a bench-only server proxies to the app exactly as the shipped one does and differs only in its
 * auth, whatever the template's pool settings become.
 */
export function appUpstream(upstreamAddr: string): string {
  const template = readFileSync(TEMPLATE, 'utf8');
  const http = readFileSync(join(NGINX_DIR, SNIPPETS.http), 'utf8');
  const upstream = renderTemplate(statementOf(template, 'upstream tokengate_app {', '\n}'), { UPSTREAM_ADDR: upstreamAddr });
  return `${upstream}\n${statementOf(http, 'log_format tokengate ', ';')}\n`;
}

/** `proxy_pass` to the app with the template's headers; `identity` are the X-Auth-* values (nginx strings). */
export function proxyToApp(identity: { sub: string; roles: string; claims: string }): string {
  return `        proxy_pass http://tokengate_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header Authorization "";
        proxy_set_header X-Auth-Sub ${identity.sub};
        proxy_set_header X-Auth-Roles ${identity.roles};
        proxy_set_header X-Auth-Claims ${identity.claims};
        proxy_set_header X-Auth-Kind "user";
`;
}

export interface BenchNginxOptions {
  /** Process and log name. */
  name: string;
  nginxBin: string;
  version: string;
  workDir: string;
  port: number;
  /** Lines put before the project's main nginx.conf (`load_module`). */
  mainPrefix?: string;
  /** The server, as tokengate.conf (the main conf includes it inside `http { }`). */
  serverConf: (prefixDir: string) => string;
  /** Extra files to write into the prefix (path relative to it → content). */
  files?: Record<string, string>;
}

/**
 * Starts nginx with the project's main nginx.conf around `serverConf`, its access log off as in
 * every setup of the bench, under the project's nginx guard.
 */
export async function startBenchNginx(opts: BenchNginxOptions): Promise<ManagedProcess> {
  mkdirSync(join(opts.workDir, 'logs'), { recursive: true });
  const prefix = createPrefix(opts.workDir);
  writeFileSync(join(prefix.dir, 'nginx.conf'), `${opts.mainPrefix ?? ''}${accessLogOff(readFileSync(MAIN_CONF, 'utf8'))}`);
  writeFileSync(join(prefix.dir, 'tokengate.conf'), opts.serverConf(prefix.dir));
  for (const [file, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(join(prefix.dir, file, '..'), { recursive: true });
    writeFileSync(join(prefix.dir, file), content);
  }
  const args = [ENTRY.nginxGuard, ...(prefix.temporary ? ['--remove-dir', prefix.dir] : []), '--', opts.nginxBin, ...nginxArgs(prefix.dir, opts.version)];
  return startProcess({
    name: opts.name,
    command: process.execPath,
    args,
    cwd: prefix.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ready: (signal) => answersHttp(`http://127.0.0.1:${opts.port}/healthz`, signal),
    logFile: join(opts.workDir, 'logs', `${opts.name}.log`),
    stdoutFile: join(opts.workDir, 'logs', `${opts.name}-access.log`),
    stopSignal: 'SIGQUIT',
    ipc: true,
  });
}
