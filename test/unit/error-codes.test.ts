import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/stack/paths.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

// As fastify tests that every error code is documented: the registry in src/error-codes.ts is
// the one list, every code it holds is on the reference page, and every code src/ answers with
// or matches on is in it. Where a code is typed (GatewayError, ErrorCode) the compiler already
// refuses an unknown one; this reads the places it cannot: hand-written bodies and comparisons.

const SRC = join(ROOT, 'src');
const REGISTRY = join(SRC, 'error-codes.ts');
const PAGE = join(ROOT, 'docs/reference/error-codes.md');
const codes = Object.keys(ERROR_CODES) as ErrorCode[];
const isCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const quoted = (text: string) => [...text.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);

/** The codes a source text names where an answer's code goes, or where one is matched. */
function codesIn(text: string): string[] {
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);
  return [
    // new GatewayError('x'), new GatewayError(cond ? 'x' : 'y'), and a subclass's super('x')
    ...all(/(?:new GatewayError|super)\(([^,)]*)/g).flatMap(quoted),
    // a body written by hand: { error: 'x' } or '{"error":"x"}'
    ...all(/(?:^|[\s{,(])error\s*:\s*'([a-z_]+)'/gm),
    ...all(/"error"\s*:\s*"([a-z_]+)"/g),
    // body.error === 'x', code === 'x' (not err.code, nor typeof code), const code = cond ? 'x' : 'y'
    ...all(/\bbody\.error\s*===?\s*'([a-z_]+)'/g),
    ...all(/(?<![.\w])(?<!typeof )code\s*===?\s*'([a-z_]+)'/g),
    ...all(/(?<![.\w])code\s*=\s*(?!=)([^;\n]+)/g).flatMap(quoted),
  ];
}

/** The `| \`code\` | status | message | ... |` rows of the reference page's table. */
function documentedRows(): Map<string, string[]> {
  const rows = readFileSync(PAGE, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  return new Map(rows.map((line) => [/^\| `([a-z_]+)`/.exec(line)?.[1] ?? line, line.split(' | ').slice(1)]));
}

describe('the error registry', () => {
  it.each(codes)('gives %s a 4xx or 5xx status, a sentence for the client, a line of doc and an emitter', (code) => {
    const entry = ERROR_CODES[code];
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(entry.status).toBeLessThan(600);
    expect(entry.message).toMatch(/^[A-Z].*\.$/);
    expect(entry.when.length).toBeGreaterThan(10);
    expect(entry.when).not.toContain('|');
    expect(entry.emittedBy.length).toBeGreaterThan(0);
  });

  it('documents every code on docs/reference/error-codes.md with its status and message, and no other', () => {
    const rows = documentedRows();
    expect([...rows.keys()].sort()).toEqual([...codes].sort());
    for (const code of codes) {
      expect(rows.get(code)?.[0], code).toBe(String(ERROR_CODES[code].status));
      expect(rows.get(code)?.[1], code).toBe(ERROR_CODES[code].message);
    }
  });

  const found = sources(SRC)
    .filter((file) => file !== REGISTRY)
    .flatMap((file) => codesIn(readFileSync(file, 'utf8')).map((code) => ({ code, file: relative(ROOT, file) })));

  it('finds the codes src/ uses (this test reads what it claims to)', () => {
    const names = new Set(found.map((f) => f.code));
    expect(names.size).toBeGreaterThan(15);
    expect(found).toContainEqual({ code: 'bad_upstream_response', file: 'src/app-check/authenticate.ts' });
    expect(found).toContainEqual({ code: 'not_found', file: 'src/cli/admin-answers.ts' });
    expect(found).toContainEqual({ code: 'app_timeout', file: 'src/front/embedded.ts' });
    expect(found).toContainEqual({ code: 'store_unavailable', file: 'src/http/error-handler.ts' });
    expect(codesIn(`res.json({ error: 'made_up' }); x = '{"error":"also_made_up"}'; if (body.error === 'third') {}`)).toEqual([
      'made_up',
      'also_made_up',
      'third',
    ]);
  });

  it('holds every code src/ answers with or matches on', () => {
    expect(found.filter((f) => !isCode(f.code))).toEqual([]);
  });

  it('lists only codes src/ names somewhere, when it says the signer or the embedded front emit them', () => {
    const text = sources(SRC)
      .filter((file) => file !== REGISTRY)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const unused = codes.filter((code) => ERROR_CODES[code].emittedBy.some((e) => e !== 'nginx') && !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });
});
