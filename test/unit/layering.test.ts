import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** The layers that assemble the others (entry points, HTTP routes, the embedded front, the CLI): nothing below may import them. */
const TOP = new Set(['cli', 'front', 'server', 'routes']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative import of a file (static, dynamic, `export from`), as the `src/` directory it lands in. */
function importedDirs(file: string): { spec: string; dir: string }[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => ({ spec, dir: relative(SRC, resolve(dirname(file), spec)).split('/')[0]! }));
}

describe('the layering of src/', () => {
  it('finds the imports it checks (this test reads what it claims to)', () => {
    const all = sources(SRC).flatMap(importedDirs);
    expect(all.length).toBeGreaterThan(500);
    expect(all.some((i) => i.dir === 'routes')).toBe(true);
  });

  it('never imports an assembling layer (cli/, front/, server/, routes/) from below it', () => {
    const upward: string[] = [];
    for (const file of sources(SRC)) {
      const own = relative(SRC, file).split('/')[0]!;
      if (TOP.has(own)) continue;
      // Files at the top of src/ (app.ts, core.ts, index.ts, startup.ts) wire the layers together.
      if (!relative(SRC, file).includes('/')) continue;
      for (const { spec, dir } of importedDirs(file)) if (TOP.has(dir)) upward.push(`${relative(SRC, file)} imports ${spec}`);
    }
    expect(upward).toEqual([]);
  });
});
