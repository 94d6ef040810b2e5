import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's libnginx-mod-http-lua (and the NDK it needs) put their dynamic modules. */
export const LUA_MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'] as const;

/** What to install for the OpenResty front (and the benchmark's Lua reference), by Debian package. */
export const LUA_INSTALL_HINT = 'npm run install-deps -- --with-openresty (or: sudo apt-get install libnginx-mod-http-lua lua-cjson)';

export type LuaSupport = { ok: true; modules: readonly string[] } | { ok: false; missing: string[] };

/** lua-cjson for LuaJIT (Lua 5.1 ABI), wherever a multiarch or local install put it. */
function hasCjson(): boolean {
  const roots = ['/usr/local/lib/lua/5.1', ...safeList('/usr/lib').map((d) => join('/usr/lib', d, 'lua/5.1'))];
  return roots.some((dir) => existsSync(join(dir, 'cjson.so')));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether nginx can run Lua here (the OpenResty front, the benchmark's reference), or which Debian packages are missing. */
export function luaSupport(): LuaSupport {
  const missing = [...(LUA_MODULES.every((m) => existsSync(m)) ? [] : ['libnginx-mod-http-lua']), ...(hasCjson() ? [] : ['lua-cjson'])];
  return missing.length === 0 ? { ok: true, modules: LUA_MODULES } : { ok: false, missing };
}
