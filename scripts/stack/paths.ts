import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from scripts/ (tests) or dist/scripts/. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tokengate') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the tokengate repository root');
    dir = parent;
  }
})();

/** The built entry points the stack runs; `npm run build` makes them. */
export const ENTRY = {
  signer: join(ROOT, 'dist/src/index.js'),
  front: join(ROOT, 'dist/src/front/main.js'),
  upstream: join(ROOT, 'dist/upstream-example/index.js'),
  nginxGuard: join(ROOT, 'dist/scripts/stack/nginx-guard.js'),
} as const;

export const NGINX_DIR = join(ROOT, 'nginx');
export const TEMPLATE = join(NGINX_DIR, 'tokengate.conf.template');
/**
 * The drop-in snippets the template is built from, by their path relative to nginx's config
 * directory (where the template's `include snippets/...` looks). A `.template` is rendered there
 * without its suffix, as the nginx image's templates mechanism does.
 */
export const SNIPPETS = {
  http: 'snippets/tokengate-http.conf.template',
  server: 'snippets/tokengate-server.conf',
  protect: 'snippets/tokengate-protect.conf',
  proxy: 'snippets/tokengate-proxy.conf',
  openrestyHttp: 'snippets/tokengate-openresty-http.conf.template',
  protectOpenresty: 'snippets/tokengate-protect-openresty.conf',
} as const;
/** The snippets the stock template (and an nginx without Lua) includes: what docker-compose mounts. */
export const STOCK_SNIPPETS = [SNIPPETS.http, SNIPPETS.server, SNIPPETS.protect, SNIPPETS.proxy] as const;
/** The OpenResty front's template: the stock one with the identity cache in front of the check. */
export const OPENRESTY_TEMPLATE = join(NGINX_DIR, 'tokengate-openresty.conf.template');
/** The OpenResty front's Lua code, copied to `lua/` under nginx's prefix (its lua_package_path). */
export const LUA_DIR = join(NGINX_DIR, 'lua');
export const MAIN_CONF = join(NGINX_DIR, 'nginx.conf');
export const DEMO_USERS = join(ROOT, 'upstream-example/users.json');
/** The demo's authorization policy (POLICY_FILE), for `npm start` and the end-to-end tests. */
export const DEMO_POLICY = join(ROOT, 'upstream-example/policy.yaml');
