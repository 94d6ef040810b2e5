import { defineConfig } from 'vitest/config';
import NoSkipsReporter from './test/support/no-skips-reporter.js';

const CI = process.env.CI === 'true' || process.env.CI === '1';

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
          globalSetup: ['test/support/build-once.ts'],
          // Real processes (nginx, node) start per file; give them room on a 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
