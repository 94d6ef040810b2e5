import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockNames, generatedBlocks, generatedFiles, renderGenerated } from '../../scripts/docs.js';
import { ROOT } from '../../scripts/stack/paths.js';

const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const readme = read('README.md');
// The configuration table moved to its reference page; the drift test finds it by its markers.
const configuration = read('docs/reference/configuration.md');

describe('the generated blocks of the README and docs/', () => {
  it.each(generatedFiles())('%s holds its blocks exactly as the code has them (npm run docs)', (name) => {
    const text = read(name);
    expect(blockNames(text).length).toBeGreaterThan(0);
    expect(renderGenerated(text, generatedBlocks())).toBe(text);
  });

  it('quotes every generated block somewhere', () => {
    const used = new Set(generatedFiles().flatMap((name) => blockNames(read(name))));
    expect([...used].sort()).toEqual(Object.keys(generatedBlocks()).sort());
  });

  it('notices a stale block', () => {
    const stale = configuration.replace('| `TOKEN_TTL_S` |', '| `TOKEN_TTL` |');
    expect(stale).not.toBe(configuration);
    expect(renderGenerated(stale, generatedBlocks())).not.toBe(stale);
  });

  it('refuses a marker without its end, or naming no block', () => {
    expect(() => renderGenerated('<!-- config-table:start -->\nx\n', generatedBlocks())).toThrow(/no <!-- config-table:end -->/);
    expect(() => renderGenerated('<!-- nothing:start -->\n<!-- nothing:end -->', generatedBlocks())).toThrow(/nothing/);
  });
});

describe('the README', () => {
  it('gives exactly the two commands of the quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm run install-deps');
  });

  it('leaves the configuration table to its reference page', () => {
    expect(blockNames(configuration)).toContain('config-table');
    expect(readme).toContain('(docs/reference/configuration.md)');
  });
});

describe('docs/architecture.md', () => {
  it('maps every folder and top-level file of src/', () => {
    const map = read('docs/architecture.md');
    const entries = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    expect(entries.length).toBeGreaterThan(20);
    expect(entries.filter((name) => !map.includes(`(../src/${name.replace(/\/$/, '')})`) && !map.includes(`(../src/${name})`))).toEqual([]);
  });
});
