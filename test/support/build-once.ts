import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../scripts/stack/paths.js';

/**
 * e2e global setup: the suites run the built code, so build it first. The build is incremental:
 * after `npm test`'s own build this writes nothing and takes a moment.
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
}
