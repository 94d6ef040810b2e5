import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedBlocks, renderReadme } from './docs.js';
import { ROOT } from './stack/paths.js';

/** `npm run docs`: rewrites the README's generated blocks (config table, nginx template) in place. */
const file = join(ROOT, 'README.md');
writeFileSync(file, renderReadme(readFileSync(file, 'utf8'), generatedBlocks()));
process.stdout.write('README.md: generated blocks updated\n');
