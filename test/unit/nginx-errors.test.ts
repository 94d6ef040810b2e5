import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LUA_DIR, NGINX_DIR, SNIPPETS } from '../../scripts/stack/paths.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

// nginx writes its JSON errors itself, in the templates and snippets: these tests parse every
// body it can send and hold it to the one registry in src/error-codes.ts, so a code, status or
// message cannot drift between the fronts. Every file under nginx/ is read, the OpenResty
// template and its Lua included, so a new one is covered without a list.

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const all = files(NGINX_DIR).sort();
const confFiles = all.filter((f) => /\.conf(?:\.template)?$|\.template$/.test(f));
const conf = confFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
const lua = files(LUA_DIR)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');
const isCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

/** `map $status $name { 400 value; ... default value; }` as [key, value] pairs. */
function statusMap(name: string): [string, string][] {
  const body = new RegExp(`map \\$status \\$${name} \\{([^}]*)\\}`).exec(conf)?.[1];
  if (body === undefined) throw new Error(`no map $status $${name}`);
  return [...body.matchAll(/^\s*(\S+)\s+(?:"([^"]*)"|(\S+));/gm)].map((m) => [m[1]!, m[2] ?? m[3]!]);
}

/** A quoted nginx string's text: nginx reads \" \' \\ \n \r \t in it. */
const unquote = (text: string) => text.replace(/\\(["'\\nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);

/** Every `return <status> '<body>';` whose body is JSON (starts with `{`), with its text. */
const jsonReturns = [...conf.matchAll(/return (\d{3}) (['"])((?:(?!\2)[^\\]|\\.)*)\2;/g)]
  .map((m) => ({ status: Number(m[1]), body: unquote(m[3]!) }))
  .filter((r) => r.body.startsWith('{'));

/** The error page's body with the map's values in, for each status the map names. */
const ERROR_PAGE_BODY = /\$tokengate_error\b/;
const codes = new Map(statusMap('tokengate_error'));
const messages = new Map(statusMap('tokengate_error_message'));
const render = (template: string, status: string) =>
  template.replaceAll('$tokengate_error_message', messages.get(status) ?? '').replaceAll('$tokengate_error', codes.get(status) ?? '');

/** What a body nginx sends must be: `{"error": <registered code>, "message": <its message>}` and a newline, with the code's status. */
function expectRegistered(body: string, status: number | undefined, where: string): ErrorCode {
  expect(body.endsWith('}\n'), where).toBe(true);
  const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
  expect(Object.keys(parsed), where).toEqual(['error', 'message']);
  const code = String(parsed.error);
  expect(isCode(code), `${where}: ${code} is not in src/error-codes.ts`).toBe(true);
  if (!isCode(code)) return 'server_error';
  if (status !== undefined) expect(status, `${where}: the status of ${code}`).toBe(ERROR_CODES[code].status);
  expect(parsed.message, `${where}: the message of ${code}`).toBe(ERROR_CODES[code].message);
  return code;
}

describe("nginx's JSON errors", () => {
  it('reads every file of nginx/: the templates, the snippets and the Lua', () => {
    const names = all.map((f) => relative(NGINX_DIR, f));
    expect(names).toEqual(expect.arrayContaining(['tokengate.conf.template', 'tokengate-openresty.conf.template', ...Object.values(SNIPPETS)]));
    expect(lua).toContain('ngx.exit');
    expect(jsonReturns.length).toBeGreaterThan(8);
  });

  it('maps every status of the error page to a registered code with that status and message', () => {
    expect([...codes.keys()].sort()).toEqual([...messages.keys()].sort());
    const page = jsonReturns.filter((r) => ERROR_PAGE_BODY.test(r.body));
    expect(page.length).toBeGreaterThan(0);
    for (const { body } of page) {
      for (const status of codes.keys()) expectRegistered(render(body, status), status === 'default' ? undefined : Number(status), `map ${status}`);
    }
  });

  it('sends every status it turns into JSON through the same error page, and maps each to a code of the status the client gets', () => {
    const pages = [...conf.matchAll(/error_page ([\d ]+?)(?: =(\d{3}))? \/_tokengate\/error;/g)];
    expect(pages.length).toBeGreaterThan(2);
    for (const [line, statuses, overwrite] of pages) {
      for (const s of statuses!.trim().split(/\s+/)) {
        // 494 (headers too large) reaches the client as 400; `=405` sends 405 whatever the cause.
        const sent = overwrite ?? (s === '494' ? '400' : s);
        const code = codes.get(sent);
        expect(code, `${line}: ${sent} is not in the map`).toBeDefined();
        if (code !== undefined && isCode(code)) expect(ERROR_CODES[code].status, line).toBe(Number(sent));
      }
    }
  });

  it('writes only registered codes, with their status and message, in its literal bodies', () => {
    for (const { status, body } of jsonReturns.filter((r) => !ERROR_PAGE_BODY.test(r.body))) {
      expect(body, `return ${status}`).not.toContain('$');
      expectRegistered(body, status, `return ${status}`);
    }
  });

  it('sends exactly the codes the registry says nginx emits', () => {
    const sent = new Set<string>(codes.values());
    for (const { body } of jsonReturns.filter((r) => !ERROR_PAGE_BODY.test(r.body))) sent.add((JSON.parse(body) as { error: string }).error);
    const registered = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => (ERROR_CODES[code].emittedBy as readonly string[]).includes('nginx'));
    expect([...sent].sort()).toEqual(registered.sort());
  });

  it('leaves the OpenResty Lua no body of its own: it ends in statuses and locations whose JSON is the one checked here', () => {
    expect(lua).not.toMatch(/ngx\.(?:say|print)\b/);
    const proxy = readFileSync(join(NGINX_DIR, SNIPPETS.proxy), 'utf8');
    const handled = new Set([...proxy.matchAll(/^error_page ([\d ]+) /gm)].flatMap((m) => m[1]!.trim().split(/\s+/)));
    const exits = [...lua.matchAll(/ngx\.exit\((\d{3})\)/g)].map((m) => m[1]!);
    expect(exits.length).toBeGreaterThan(0);
    for (const status of exits) expect(handled.has(status), `ngx.exit(${status})`).toBe(true);
    const named = [...lua.matchAll(/ngx\.exec\("(@\w+)"\)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(conf, name).toContain(`location ${name} {`);
  });
});
