import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/exit.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** The folders whose programs exit; each decides status 2 through `EXIT.usage`. */
const FOLDERS = ['src', 'scripts', 'upstream-example', 'bench'];
/** The table itself. */
const TABLES = new Set(['src/exit.ts']);
/** A literal status 2: `exit(2)`, `exitCode = 2`, or `return 2` from a command. */
const LITERAL_TWO = /\bexit\(\s*2\s*\)|\bexitCode\s*=\s*2\b|\breturn\s+2\s*;/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'results') return [];
    if (e.isDirectory()) return sources(join(dir, e.name));
    return e.name.endsWith('.ts') ? [join(dir, e.name)] : [];
  });
}

describe('exit status 2 (a wrong configuration or command line)', () => {
  const files = FOLDERS.flatMap((f) => sources(join(ROOT, f))).map((f) => relative(ROOT, f));

  it('reads the files it claims to', () => {
    expect(files).toEqual(expect.arrayContaining(['src/startup.ts', 'scripts/start.ts', 'upstream-example/index.ts', 'src/cli/io.ts']));
    expect(files.filter((f) => readFileSync(join(ROOT, f), 'utf8').includes('EXIT.usage')).length).toBeGreaterThan(10);
  });

  it('is written as a number only in the EXIT table', () => {
    const literal = files
      .filter((f) => !TABLES.has(f))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (LITERAL_TWO.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(literal).toEqual([]);
  });

  it('is 2, and the demo app takes it from the same table', () => {
    expect(EXIT.usage).toBe(2);
    for (const f of ['upstream-example/index.ts', 'upstream-example/add-user.ts']) {
      expect(readFileSync(join(ROOT, f), 'utf8')).toContain("import { EXIT } from '../src/exit.js';");
    }
  });
});
