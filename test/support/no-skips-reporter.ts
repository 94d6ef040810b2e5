import type { Reporter, TestModule } from 'vitest/node';

/** Under CI, a skipped test is a failure: a suite that did not run proves nothing. */
export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        if (test.result().state === 'skipped') skipped.push(`${mod.moduleId} > ${test.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    console.error(`\nCI: ${skipped.length} test(s) were skipped, which CI does not allow:\n  ${skipped.slice(0, 20).join('\n  ')}`);
    process.exitCode = 1;
  }
}
