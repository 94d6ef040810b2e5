import type { ManagedProcess } from '../../scripts/stack/managed-process.js';
import { startBenchNginx } from './bench-nginx.js';

/** What the fast app answers to any request: fixed, so the sanity check can tell it from the demo app. */
export const FAST_APP_BODY = '{"ok":true,"app":"tokengate bench fast upstream"}';

/**
 * The fast table's app: nginx answering FAST_APP_BODY to any path and method, no access log, client
 * connections kept for as many requests as the gateways' pools send. It echoes X-Tg-Seq, so wrk
 * can match each pass of a token mix to its token on any connection. Bench-only: it takes the
 * app's cost out of the table, so what is left is the gateway's own.
 */
export function fastAppConf(port: number): string {
  return `server {
    listen 127.0.0.1:${port};
    server_tokens off;
    access_log off;
    keepalive_requests 100000;
    keepalive_timeout 75s;
    location / {
        default_type application/json;
        add_header X-Tg-Seq $http_x_tg_seq;
        return 200 '${FAST_APP_BODY}\\n';
    }
}
`;
}

/** Starts the fast app on 127.0.0.1:port. */
export function startFastApp(opts: { nginxBin: string; version: string; workDir: string; port: number }): Promise<ManagedProcess> {
  return startBenchNginx({ ...opts, name: 'nginx-fast-app', serverConf: () => fastAppConf(opts.port) });
}
