import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSecret } from '../../src/secret/load-secret.js';

/**
 * Holds the write into a freshly created file until `release()`: the moment a second process
 * finds the file already there but still empty. Only armed inside the test below.
 */
const gate = vi.hoisted(() => {
  let open: () => void = () => undefined;
  const state = { armed: false, wait: Promise.resolve(), release: () => open() };
  return {
    state,
    arm() {
      state.armed = true;
      state.wait = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    if (!gate.state.armed || args[1] !== 'wx') return handle;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'writeFile') {
          return async (...w: Parameters<FileHandle['writeFile']>) => {
            await gate.state.wait;
            return target.writeFile(...w);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { ...actual, open, default: { ...actual, open } };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokengate-secret-race-'));
});
afterEach(async () => {
  gate.state.armed = false;
  gate.state.release();
  await rm(dir, { recursive: true, force: true });
});

describe('loading the signing secret concurrently', () => {
  // A second starter that finds the file while the first is still writing must never read it
  // half-written: the write is held open here, at the worst moment.
  it('ends with the same secret in two loaders that race on a missing file', async () => {
    const file = join(dir, 'secrets', 'jwt-secret');
    gate.arm();
    const a = loadSecret({ file });
    const b = loadSecret({ file });
    // Let the creator write once the other loader has settled, or after a moment if it waits.
    const fallback = setTimeout(gate.state.release, 500);
    void Promise.race([a, b])
      .finally(gate.state.release)
      .catch(() => undefined);
    const results = await Promise.allSettled([a, b]);
    clearTimeout(fallback);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const secrets = results.map((r) => (r.status === 'fulfilled' ? Buffer.from(r.value.secret).toString('hex') : r.reason));
    expect(secrets[0]).toBe(secrets[1]);
    expect(results.map((r) => r.status === 'fulfilled' && r.value.source).sort()).toEqual(['file', 'generated']);
  });
});
