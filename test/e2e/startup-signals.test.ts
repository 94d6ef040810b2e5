import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRY } from '../../scripts/stack/paths.js';
import { testPort } from '../fixtures/ports.js';
import { http } from './harness.js';

const dirs: string[] = [];

/** How long a Node process that runs nothing takes from spawn to exit here, now (the machine may be busy). */
async function bareNodeStartMs(): Promise<number> {
  const started = performance.now();
  await new Promise((resolve) => spawn(process.execPath, ['-e', '']).once('exit', resolve));
  return performance.now() - started;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each([
  ['the signer', ENTRY.signer, 'SIGNER_PORT', 'signer listening'],
  ['the embedded front', ENTRY.front, 'GATEWAY_PORT', 'embedded front listening'],
])('%s, sent SIGHUP while it starts', (_name, entry, portVariable, listening) => {
  it('survives, listens, and reloads once it has started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-hup-'));
    dirs.push(dir);
    const port = await testPort();
    const child = spawn(process.execPath, [entry], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', [portVariable]: String(port), JWT_ALG: 'ES256', KEYS_CHECK_INTERVAL_S: '0', LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Node needs a moment before it runs any of our code at all (a SIGHUP then kills it, as it
      // would any process): twice what a bare Node takes to start on this machine right now, at
      // least 150 ms. From then on, SIGHUPs until it listens.
      await sleep(Math.max(150, 2 * (await bareNodeStartMs())));
      let sentWhileStarting = 0;
      for (let i = 0; i < 100 && !out.includes(listening) && child.exitCode === null; i++) {
        child.kill('SIGHUP');
        sentWhileStarting++;
        await sleep(20);
      }
      await expect.poll(() => out.includes(listening) || child.exitCode !== null || child.signalCode !== null, { timeout: 10_000 }).toBe(true);
      expect(child.exitCode, out).toBeNull();
      expect(child.signalCode, out).toBeNull();
      expect(sentWhileStarting).toBeGreaterThan(0);
      expect((await http(`http://127.0.0.1:${port}/.well-known/jwks.json`)).status).toBe(200);
      await expect.poll(() => out.includes('"reason":"SIGHUP"'), { timeout: 5_000 }).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
