import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedBlocks, generatedFiles, renderGenerated } from './docs.js';
import { renderNginxPages } from './nginx-pages.js';
import { NGINX_DIR, ROOT, SNIPPETS } from './stack/paths.js';

/**
 * `npm run docs`: rewrites the pages nginx serves itself in its snippet (the 403 page), then the
 * generated blocks (config table, nginx files) of the README and docs/ in place.
 */
const snippet = join(NGINX_DIR, SNIPPETS.server);
writeFileSync(snippet, renderNginxPages(readFileSync(snippet, 'utf8')));
process.stdout.write(`nginx/${SNIPPETS.server}: generated pages updated\n`);

const blocks = generatedBlocks();
for (const name of generatedFiles()) {
  const file = join(ROOT, name);
  writeFileSync(file, renderGenerated(readFileSync(file, 'utf8'), blocks));
  process.stdout.write(`${name}: generated blocks updated\n`);
}
