import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NGINX_DIR, SNIPPETS, TEMPLATE } from '../../scripts/stack/paths.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

// nginx writes its JSON errors itself: these tests hold every body it can send to the one
// registry in src/errors.ts, so a code, status or message cannot drift between the fronts.

const files = [TEMPLATE, ...Object.values(SNIPPETS).map((f) => join(NGINX_DIR, f))];
const conf = files.map((f) => readFileSync(f, 'utf8')).join('\n');

/** `map $status $name { 400 value; ... default value; }` as [key, value] pairs. */
function statusMap(name: string): [string, string][] {
  const body = new RegExp(`map \\$status \\$${name} \\{([^}]*)\\}`).exec(conf)?.[1];
  if (body === undefined) throw new Error(`no map $status $${name}`);
  return [...body.matchAll(/^\s*(\S+)\s+(?:"([^"]*)"|(\S+));/gm)].map((m) => [m[1]!, m[2] ?? m[3]!]);
}

const isCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

describe("nginx's JSON errors", () => {
  it('maps every status of the error page to a registered code with that status and message', () => {
    const codes = new Map(statusMap('tokengate_error'));
    const messages = new Map(statusMap('tokengate_error_message'));
    expect([...codes.keys()].sort()).toEqual([...messages.keys()].sort());
    for (const [status, code] of codes) {
      expect(isCode(code), code).toBe(true);
      if (!isCode(code)) continue;
      if (status !== 'default') expect(ERROR_CODES[code].status, code).toBe(Number(status));
      expect(messages.get(status), code).toBe(ERROR_CODES[code].message);
    }
  });

  it('sends every status it turns into JSON through the same error page, and maps each', () => {
    const mapped = new Set(statusMap('tokengate_error').map(([s]) => s));
    const pages = [...conf.matchAll(/error_page ([\d ]+) \/_tokengate\/error;/g)].map((m) => m[1]!.trim().split(/\s+/));
    expect(pages.length).toBeGreaterThan(2);
    for (const statuses of pages) {
      // 494 (headers too large) reaches the client as 400, under the default entry.
      for (const s of statuses) if (s !== '494') expect(mapped.has(s), s).toBe(true);
    }
  });

  it('writes only registered codes, with their status and message, in its literal bodies', () => {
    const bodies = [...conf.matchAll(/return (\d{3}) '\{"error":"([a-z_]+)","message":"([^"]*)"\}\\n';/g)];
    expect(bodies.length).toBeGreaterThan(8);
    for (const [, status, code, message] of bodies) {
      expect(isCode(code!), code).toBe(true);
      if (!isCode(code!)) continue;
      expect(ERROR_CODES[code].status, code).toBe(Number(status));
      expect(message, code).toBe(ERROR_CODES[code].message);
    }
  });
});
