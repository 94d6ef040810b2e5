import { createAutocannon } from './autocannon.js';
import type { LoadGenerator } from './types.js';
import { createWrk, findWrk } from './wrk.js';

export type GeneratorChoice = 'auto' | 'wrk' | 'autocannon';

/** What drives the load, and why that one (for the results header). */
export interface ChosenGenerator {
  generator: LoadGenerator;
  note?: string;
}

/** wrk when installed (lighter on a 2-core machine than autocannon in this process), else autocannon. */
export function chooseGenerator(choice: GeneratorChoice, scratchDir: string): ChosenGenerator {
  const wrk = choice === 'autocannon' ? undefined : findWrk();
  if (wrk) return { generator: createWrk(wrk, scratchDir) };
  if (choice === 'wrk') throw new Error('--generator wrk: wrk is not installed; npm run install-deps -- --with-bench (or: sudo apt-get install wrk)');
  return {
    generator: createAutocannon(),
    ...(choice === 'auto'
      ? { note: 'wrk is not installed (npm run install-deps -- --with-bench), so autocannon drives the load from inside this process' }
      : {}),
  };
}
