import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedBlocks, generatedFiles, renderGenerated } from './docs.js';
import { ROOT } from './stack/paths.js';

/** `npm run docs`: rewrites the generated blocks (config table, nginx files) of the README and docs/ in place. */
const blocks = generatedBlocks();
for (const name of generatedFiles()) {
  const file = join(ROOT, name);
  writeFileSync(file, renderGenerated(readFileSync(file, 'utf8'), blocks));
  process.stdout.write(`${name}: generated blocks updated\n`);
}
