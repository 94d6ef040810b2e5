import { readFileSync } from 'node:fs';
import { configTable } from '../src/config/docs.js';
import { TEMPLATE } from './stack/paths.js';

/** The README blocks generated from the code, by marker name. */
export function generatedBlocks(): Record<string, string> {
  return {
    'config-table': configTable(),
    'nginx-template': ['```nginx', readFileSync(TEMPLATE, 'utf8').trimEnd(), '```'].join('\n'),
  };
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` for every block. */
export function renderReadme(readme: string, blocks: Record<string, string>): string {
  let out = readme;
  for (const [name, body] of Object.entries(blocks)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a === -1 || b === -1 || b < a) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    out = `${out.slice(0, a + start.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}
