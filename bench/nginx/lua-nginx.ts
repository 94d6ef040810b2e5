import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagedProcess } from '../../scripts/stack/managed-process.js';
import { ROOT } from '../../scripts/stack/paths.js';
import { appUpstream, proxyToApp, startBenchNginx } from './bench-nginx.js';

/** What the Lua check pins, as the signer's config does (ISSUER, AUDIENCE, CLOCK_SKEW_S). */
export interface LuaVerifyConfig {
  /** The HS256 secret file the signer reads; nginx's master reads it once at start. */
  secretFile: string;
  issuer: string;
  audience?: string | undefined;
  clockSkewS: number;
}

const LUA_DIR = join(ROOT, 'bench', 'lua');
const VERIFY_MODULE = 'hs256_verify.lua';
const UNAUTHORIZED = '{"error":"unauthorized","message":"A valid token is required."}\\n';

/** A Lua string literal for any text (long brackets cannot be closed early by the value). */
const luaString = (s: string) => JSON.stringify(s);

/**
 * Setup (e), the OpenResty-style reference: the HS256 check runs inside nginx (access_by_lua), then
 * nginx proxies to the app like (a), with the identity headers the check found. Bench-only.
 */
export function luaServerConf(opts: { prefixDir: string; port: number; upstreamAddr: string; verify: LuaVerifyConfig }): string {
  const init = `{ secret_file = ${luaString(opts.verify.secretFile)}, issuer = ${luaString(opts.verify.issuer)}, audience = ${opts.verify.audience === undefined ? 'nil' : luaString(opts.verify.audience)}, clock_skew_s = ${opts.verify.clockSkewS} }`;
  return `lua_package_path "${join(opts.prefixDir, 'lua')}/?.lua;;";
init_by_lua_block { require("hs256_verify").init(${init}) }
${appUpstream(opts.upstreamAddr)}server {
    listen 127.0.0.1:${opts.port};
    server_tokens off;
    location / {
        set $tg_sub "";
        set $tg_roles "";
        set $tg_claims "";
        access_by_lua_block { require("hs256_verify").access() }
${proxyToApp({ sub: '$tg_sub', roles: '$tg_roles', claims: '$tg_claims' })}    }
    # The same JSON refusal as the template's, without the subrequest.
    error_page 401 = @unauthorized;
    location @unauthorized {
        default_type application/json;
        add_header WWW-Authenticate 'Bearer realm="tokengate", error="invalid_token"' always;
        add_header Cache-Control no-store always;
        return 401 '${UNAUTHORIZED}';
    }
}
`;
}

/** Starts the Lua reference nginx on 127.0.0.1:port; `modules` are the load_module paths (scripts/stack/lua-module.ts). */
export function startLuaNginx(opts: {
  nginxBin: string;
  version: string;
  workDir: string;
  port: number;
  upstreamAddr: string;
  modules: readonly string[];
  verify: LuaVerifyConfig;
}): Promise<ManagedProcess> {
  return startBenchNginx({
    name: 'nginx-lua',
    nginxBin: opts.nginxBin,
    version: opts.version,
    workDir: opts.workDir,
    port: opts.port,
    mainPrefix: opts.modules.map((m) => `load_module ${m};\n`).join(''),
    serverConf: (prefixDir) => luaServerConf({ prefixDir, port: opts.port, upstreamAddr: opts.upstreamAddr, verify: opts.verify }),
    // Copied into the prefix: nginx's workers (user nobody under root) need not reach the repository.
    files: { [join('lua', VERIFY_MODULE)]: readFileSync(join(LUA_DIR, VERIFY_MODULE), 'utf8') },
  });
}
