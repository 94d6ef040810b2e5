import { defineConfig } from 'vitest/config';
import NoSkipsReporter from './test/support/no-skips-reporter.js';

const CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Suites that time a fault against a bound (the Sentinel failover: writes back within 2 s of the
 * promotion) run alone, after the others: with every e2e file starting processes beside them,
 * the replica's resync once took 3.7 s on this 2-core machine, a measure of the neighbours.
 */
const ALONE = ['test/e2e/sentinel-failover.test.ts'];

export default defineConfig({
  test: {
    reporters: CI ? ['default', new NoSkipsReporter()] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...ALONE],
          globalSetup: ['test/support/build-once.ts'],
          // Real processes (nginx, node) start per file; give them room on a 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e-alone',
          include: [...ALONE],
          globalSetup: ['test/support/build-once.ts'],
          // After every other project is done: nothing else competes for the two cores.
          sequence: { groupOrder: 1 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
