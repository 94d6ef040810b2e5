import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../scripts/stack/paths.js';
import { hotspots, type Hotspot } from './hotspots.js';

/** The signer's CPU profile, kept beside the results, and its hottest functions. */
export interface ProfileSummary {
  file: string;
  hotspots: Hotspot[];
}

/** The environment that makes a signer profile itself into `dir` (see preload.ts). */
export function profilerEnv(dir: string): Record<string, string> {
  const preload = pathToFileURL(join(ROOT, 'dist', 'bench', 'cpu-prof', 'preload.js')).href;
  return { NODE_OPTIONS: `--import=${preload}`, TG_BENCH_PROF_DIR: dir };
}

const profiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));

/**
 * Asks the signer's process group (with SIGNER_WORKERS, each worker too) for its profiles, waits
 * up to 10 s for them, copies the largest (the busiest process) to
 * `<resultsDir>/<stamp>-signer.cpuprofile` and sums it up; undefined when none came.
 */
export async function takeProfile(signerPid: number, dir: string, resultsDir: string, stamp: string): Promise<ProfileSummary | undefined> {
  process.kill(-signerPid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  let sizes = '';
  // Done once the files exist and stopped growing.
  for (;;) {
    await sleep(500);
    const now = profiles(dir)
      .map((f) => `${f}:${statSync(f).size}`)
      .join(',');
    if ((now !== '' && now === sizes) || Date.now() > deadline) break;
    sizes = now;
  }
  const biggest = profiles(dir).sort((x, y) => statSync(y).size - statSync(x).size)[0];
  if (!biggest) return undefined;
  const file = join(resultsDir, `${stamp}-signer.cpuprofile`);
  copyFileSync(biggest, file);
  return { file, hotspots: hotspots(JSON.parse(readFileSync(biggest, 'utf8'))) };
}
