import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './stack/paths.js';
import { findRedisSentinel, SENTINEL_INSTALL_HINT, startSentinelSet, type SentinelSet } from './stack/sentinel.js';
import { EXIT } from '../src/exit.js';

/**
 * `npm run sentinels`: a Redis master, two replicas and three Redis Sentinels on loopback (free
 * ports, fresh passwords), for trying tokengate's failover by hand. It prints the variables that
 * point `npm start` at them, and how to kill the master; Ctrl-C stops them all.
 */
if (!findRedisSentinel()) {
  process.stderr.write(`npm run sentinels: redis-sentinel is not installed; ${SENTINEL_INSTALL_HINT}\n`);
  process.exit(EXIT.usage);
}
const runDir = resolve(ROOT, process.env.RUN_DIR ?? '.run');
mkdirSync(runDir, { recursive: true });
const dir = mkdtempSync(join(runDir, 'sentinels-'));
let set: SentinelSet | undefined;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping...\n');
  await set?.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  set = await startSentinelSet({ dir, logDir: dir, downAfterMs: 2_000 });
} catch (err) {
  process.stderr.write(`npm run sentinels: ${(err as Error).message}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
const env = Object.entries(set.env)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
const master = set.nodes[0]!;
process.stdout.write(
  [
    '',
    `Redis master on 127.0.0.1:${master.port}, replicas on ${set.nodes
      .slice(1)
      .map((n) => n.port)
      .join(' and ')}, sentinels on ${set.sentinels.map((s) => s.port).join(', ')} (down-after-milliseconds 2000; logs in ${dir})`,
    '',
    'In another terminal:',
    `  ${env} SIGNER_INSTANCES=2 npm start`,
    'Then, to see a failover:',
    `  kill -KILL -- -${master.pid ?? '?'}       # the master and its guard; the sentinels promote a replica within a few seconds`,
    '',
    'Ctrl-C stops them all.',
    '',
  ].join('\n'),
);
