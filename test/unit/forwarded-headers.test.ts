import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NGINX_DIR, SNIPPETS } from '../../scripts/stack/paths.js';
import { appHeaders, type AppRequest } from '../../src/front/app-headers.js';
import { CLEARED_HEADERS, HOP_BY_HOP_HEADERS, SET_HEADERS, VALID_HEADER_NAME } from '../../src/front/forwarded-headers.js';

// The lists in src/front/forwarded-headers.ts are what both fronts send the app besides the
// client's own headers: nginx's protect snippet must say the same, line for line.

/** A snippet with each `include snippets/...;` replaced by that file: what a protected location gets. */
function expanded(file: string): string {
  return readFileSync(join(NGINX_DIR, file), 'utf8').replace(/^[ \t]*include\s+(snippets\/[^\s;*]+);$/gm, (_line, included: string) => expanded(included));
}
const snippet = expanded(SNIPPETS.protect);

/** The `proxy_set_header` lines of a stretch of config, comments left out: [name, value]. */
function setHeaderLines(conf: string): [string, string][] {
  return conf
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^proxy_set_header\s+(\S+)\s+(.+);$/.exec(l);
      if (!m) throw new Error(`not a proxy_set_header line: ${l}`);
      return [m[1]!, m[2]!];
    });
}

const markers = /# tokengate:cleared-headers:start\n([\s\S]*?)# tokengate:cleared-headers:end/.exec(snippet);
const clearedBlock = markers?.[1] ?? '';
const outside = snippet.replace(clearedBlock, '');
const setOutside = [...outside.matchAll(/^\s*proxy_set_header\s+(\S+)\s+(.+);$/gm)].map((m) => [m[1]!, m[2]!] as const);

describe('the headers nginx clears and sets, against the shared lists', () => {
  it('has one cleared-headers block in what the protect snippet includes', () => {
    expect(markers).not.toBeNull();
    expect(snippet.split('# tokengate:cleared-headers:start').length).toBe(2);
  });

  it('clears exactly CLEARED_HEADERS between the markers, each once with an empty value, and nothing else', () => {
    const lines = setHeaderLines(clearedBlock);
    for (const [name, value] of lines) expect(value, name).toBe('""');
    expect(lines.map(([name]) => name).sort()).toEqual([...CLEARED_HEADERS].sort());
  });

  it('sets every SET_HEADERS name with a proxy_set_header of its own, outside the cleared block', () => {
    const set = new Set(setOutside.map(([name]) => name.toLowerCase()));
    for (const name of SET_HEADERS) expect(set.has(name.toLowerCase()), name).toBe(true);
  });

  it('never sets a header twice, so none is sent twice', () => {
    const names = [...setOutside.map(([name]) => name.toLowerCase()), ...CLEARED_HEADERS.map((n) => n.toLowerCase())];
    expect(names.length).toBe(new Set(names).size);
  });

  it('keeps the three lists apart, and every name a valid header name', () => {
    const all = [...CLEARED_HEADERS, ...SET_HEADERS, ...HOP_BY_HOP_HEADERS].map((n) => n.toLowerCase());
    expect(all.length).toBe(new Set(all).size);
    for (const name of all) expect(name).toMatch(VALID_HEADER_NAME);
  });
});

describe('the headers the embedded front sends the app', () => {
  const request = (rawHeaders: string[], more: Partial<AppRequest> = {}): AppRequest => ({
    rawHeaders,
    host: 'gateway.test',
    forwardedHost: 'gateway.test',
    clientAddress: '203.0.113.7',
    scheme: 'http',
    requestId: 'f'.repeat(32),
    identity: { 'X-Auth-Sub': 'bob', 'X-Auth-Roles': 'user', 'X-Auth-Claims': 'e30', 'X-Auth-Kind': 'user' },
    ...more,
  });
  const lower = (lines: ReturnType<typeof appHeaders>) => lines.map(([n, v]) => [n.toLowerCase(), v] as const);

  // Content-Length and Cookie pass on, as their own tests below say: the body's length, the cookies but ours.
  const neverCopied = [...CLEARED_HEADERS, ...HOP_BY_HOP_HEADERS, ...SET_HEADERS].filter((n) => n !== 'Content-Length' && n !== 'Cookie');
  it.each(neverCopied)("never copies the client's own %s", (name) => {
    const sent = lower(appHeaders(request([name, 'from-the-client'])));
    expect(sent.filter(([, values]) => values.includes('from-the-client'))).toEqual([]);
  });

  it('writes where the request came from as the front knows it', () => {
    const sent = new Map(lower(appHeaders(request(['X-Forwarded-For', '198.51.100.1']))));
    expect(sent.get('x-forwarded-for')).toEqual(['203.0.113.7']);
    expect(sent.get('x-real-ip')).toEqual(['203.0.113.7']);
    expect(sent.get('x-forwarded-proto')).toEqual(['http']);
    expect(sent.get('x-forwarded-host')).toEqual(['gateway.test']);
    expect(sent.get('host')).toEqual(['gateway.test']);
  });

  it('keeps each line of a repeated header, and the names a Connection header lists (as nginx does)', () => {
    const sent = new Map(lower(appHeaders(request(['X-Dup', '1', 'Connection', 'close, X-Secret', 'x-dup', '2', 'X-Secret', 's']))));
    expect(sent.get('x-dup')).toEqual(['1', '2']);
    expect(sent.get('x-secret')).toEqual(['s']);
    expect(sent.has('connection')).toBe(false);
  });

  it('sends no header for an empty identity value, nor X-Forwarded-Host without a Host', () => {
    const sent = new Map(lower(appHeaders(request([], { identity: { 'X-Auth-Sub': 'svc', 'X-Auth-Roles': '' }, forwardedHost: undefined }))));
    expect(sent.get('x-auth-sub')).toEqual(['svc']);
    expect(sent.has('x-auth-roles')).toBe(false);
    expect(sent.has('x-forwarded-host')).toBe(false);
  });

  it('passes the body on as it came: its length, or chunked', () => {
    expect(new Map(lower(appHeaders(request(['Content-Length', '3'])))).get('content-length')).toEqual(['3']);
    const chunked = new Map(lower(appHeaders(request(['Transfer-Encoding', 'chunked']))));
    expect(chunked.get('transfer-encoding')).toEqual(['chunked']);
    expect(chunked.has('content-length')).toBe(false);
  });

  it('joins every Cookie header as nginx does and keeps the session cookies out', () => {
    const sent = new Map(lower(appHeaders(request(['Cookie', 'theme=dark; tg_access=x', 'Cookie', '__Host-tg_refresh=y; lang=en']))));
    expect(sent.get('cookie')).toEqual(['theme=dark; lang=en']);
  });
});
