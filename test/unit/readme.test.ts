import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedBlocks, renderReadme } from '../../scripts/docs.js';
import { ROOT } from '../../scripts/stack/paths.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it('holds the configuration table and nginx template exactly as the code has them (npm run docs)', () => {
    expect(renderReadme(readme, generatedBlocks())).toBe(readme);
  });

  it('gives exactly the two commands of the quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });

  it('notices a stale block', () => {
    const stale = readme.replace('| `TOKEN_TTL_S` |', '| `TOKEN_TTL` |');
    expect(stale).not.toBe(readme);
    expect(renderReadme(stale, generatedBlocks())).not.toBe(stale);
  });
});
