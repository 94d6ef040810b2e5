import type { ManagedProcess } from '../../scripts/stack/managed-process.js';
import { appUpstream, proxyToApp, startBenchNginx } from './bench-nginx.js';

/** The fixed identity the no-auth proxy hands the app, so the app does the same work as behind tokengate. */
export interface StaticIdentity {
  sub: string;
  roles: string;
  claims: string;
}

// Only values that need no escaping in an nginx string; anything else is sent as nothing.
const SAFE = /^[\w.,@:+=-]*$/;
const quoted = (value: string) => (SAFE.test(value) ? `"${value}"` : '""');

/**
 * Setup (a), the limit: the project's own main nginx.conf around a bench-only server that proxies
 * straight to the app with the same upstream keepalive, proxy headers and access log as the
 * template, and no auth_request. Bench-only: never part of the product path.
 */
export function plainServerConf(port: number, upstreamAddr: string, id: StaticIdentity): string {
  return `${appUpstream(upstreamAddr)}server {
    listen 127.0.0.1:${port};
    server_tokens off;
    location / {
${proxyToApp({ sub: quoted(id.sub), roles: quoted(id.roles), claims: quoted(id.claims) })}    }
}
`;
}

/** Starts nginx with plainServerConf on 127.0.0.1:port. */
export function startPlainNginx(opts: {
  nginxBin: string;
  version: string;
  workDir: string;
  port: number;
  upstreamAddr: string;
  identity: StaticIdentity;
}): Promise<ManagedProcess> {
  return startBenchNginx({ ...opts, name: 'nginx-plain', serverConf: () => plainServerConf(opts.port, opts.upstreamAddr, opts.identity) });
}
