import { cpus, release, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The machine, as the header of the results says it. */
export function machine(nginxVersion: string, generator: string): Record<string, string> {
  const list = cpus();
  return {
    cpu: `${list[0]?.model.trim() ?? 'unknown'} x ${list.length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os: `${process.platform} ${release()}`,
    node: process.version,
    nginx: nginxVersion,
    'load generator': generator,
  };
}

/** Writes `<stamp>.txt` (what was printed) and `<stamp>.json` (everything) into `dir`; returns both paths. */
export function writeResults(dir: string, stamp: string, text: string, json: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${stamp}.txt`), join(dir, `${stamp}.json`)];
  writeFileSync(files[0]!, `${text}\n`);
  writeFileSync(files[1]!, `${JSON.stringify(json, null, 2)}\n`);
  return files;
}
