import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Loaded into (b)'s signer with `NODE_OPTIONS=--import` by `npm run bench -- --cpu-prof` (node
 * refuses --cpu-prof itself in NODE_OPTIONS): profiles the process from its start, and on SIGUSR2
 * writes `signer-<pid>.cpuprofile` into TG_BENCH_PROF_DIR. Bench-only; the signer never loads it.
 */
const dir = process.env.TG_BENCH_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  process.once('SIGUSR2', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `signer-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
