import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startProcess, type ProcessSpec } from '../../scripts/stack/managed-process.js';
import { alive } from '../fixtures/alive.js';

const node = (code: string, ready: ProcessSpec['ready'], extra: Partial<ProcessSpec> = {}): ProcessSpec => ({
  name: 'child',
  command: process.execPath,
  args: ['-e', code],
  env: { PATH: process.env.PATH ?? '' },
  cwd: process.cwd(),
  ready,
  ...extra,
});

describe('startProcess', () => {
  it('fails when the process is gone after its readiness probe answered: someone else answered', async () => {
    // The probe takes long enough for the child to have exited by the time it says yes.
    const start = startProcess(node('process.exit(3)', () => sleep(1_000).then(() => true)));
    await expect(start).rejects.toThrow(/child exited \(3\) although its address answered/);
  });

  it('stops a process still waiting for readiness when the signal aborts, and rejects with the reason', async () => {
    const aborter = new AbortController();
    let pid = 0;
    const start = startProcess(
      node(
        'console.log(process.pid); setInterval(() => {}, 1000)',
        async () => {
          if (pid) aborter.abort();
          return false;
        },
        { signal: aborter.signal, onLine: (line) => (pid = Number(line)) },
      ),
    );
    await expect(start).rejects.toMatchObject({ name: 'AbortError' });
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});
