import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LUA_DIR, NGINX_DIR, OPENRESTY_TEMPLATE, SNIPPETS, TEMPLATE } from '../../scripts/stack/paths.js';

const read = (file: string) => readFileSync(file, 'utf8');
/** The lines that are not comments or blank: what nginx reads. */
const directives = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

describe('the OpenResty front, next to the stock one', () => {
  it('runs the stock template with the identity cache in front of the check, and nothing else changed', () => {
    const stock = directives(read(TEMPLATE));
    const openresty = directives(read(OPENRESTY_TEMPLATE));
    const expected = stock.flatMap((line) =>
      line.trim() === 'include snippets/tokengate-http.conf;'
        ? [line, 'include snippets/tokengate-openresty-http.conf;']
        : [line.replace('snippets/tokengate-protect.conf;', 'snippets/tokengate-protect-openresty.conf;')],
    );
    expect(openresty).toEqual(expected);
    expect(openresty).not.toEqual(stock);
  });

  it('shares everything after the check with the stock protect snippet: the same proxy snippet, last', () => {
    for (const file of [SNIPPETS.protect, SNIPPETS.protectOpenresty]) {
      const lines = directives(read(join(NGINX_DIR, file)));
      expect(lines.at(-1), file).toBe('include snippets/tokengate-proxy.conf;');
      // No header, cookie or error page of its own: those live in the proxy snippet only.
      expect(
        lines.filter((l) => /^(?:proxy_set_header|add_header|error_page|set \$args)\b/.test(l.trim())),
        file,
      ).toEqual([]);
    }
  });

  it('asks the signer once: the OpenResty snippet turns auth_request off and checks in Lua', () => {
    const lines = directives(read(join(NGINX_DIR, SNIPPETS.protectOpenresty))).map((l) => l.trim());
    expect(lines).toContain('auth_request off;');
    expect(lines).toContain('require("tokengate.identity_cache").access()');
  });

  it('declares every variable the server snippet and the proxy snippet read that the stock check sets', () => {
    const stockSet = [...read(join(NGINX_DIR, SNIPPETS.protect)).matchAll(/auth_request_set \$(\w+)/g)].map((m) => m[1]!).sort();
    const declared = [...read(join(NGINX_DIR, SNIPPETS.protectOpenresty)).matchAll(/^set \$(\w+) "";/gm)].map((m) => m[1]!).sort();
    expect(declared).toEqual(stockSet);
  });

  it('can hold no secret: the Lua code reads no file and no environment, and verifies nothing itself', () => {
    const lua = read(join(LUA_DIR, 'tokengate', 'identity_cache.lua'));
    expect(lua).not.toMatch(/\bio\.|\bos\.getenv|\bloadfile\b|\bdofile\b/);
    expect(lua).not.toMatch(/hmac|resty\.(?:rsa|evp|openssl)|ffi/i);
    expect(read(join(NGINX_DIR, SNIPPETS.openrestyHttp))).not.toMatch(/JWT_SECRET|jwt-secret|\.jwk|KEYS_DIR/);
  });
});
