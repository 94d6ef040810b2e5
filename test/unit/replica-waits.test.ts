import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RedisLink } from '../../src/store/redis-link.js';
import { ReplicaWaits } from '../../src/store/replica-waits.js';
import { StoreUnavailableError } from '../../src/store/store.js';

/** A link that records each WAIT and lets the test answer it. */
function fakeLink() {
  const emitter = new EventEmitter();
  const sent: { args: string[]; answer: (n: number) => void; fail: (err: unknown) => void }[] = [];
  const link = {
    on: (event: string, listener: (...args: unknown[]) => void) => emitter.on(event, listener),
    sendCommand: (args: string[]) =>
      new Promise<unknown>((resolve, reject) => {
        sent.push({ args, answer: resolve, fail: reject });
      }),
  } as unknown as RedisLink;
  return { link, sent, emit: (event: string) => emitter.emit(event, new Error(event)) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the WAITs behind the writes of one connection', () => {
  const replication = { replicas: 1, timeoutMs: 500, unmet: 'fail' as const };

  it('sends one WAIT right away, and one more for every write sent while it is out', async () => {
    const { link, sent } = fakeLink();
    const waits = new ReplicaWaits(link, replication, 1_000);
    const first = waits.after();
    expect(sent.map((s) => s.args)).toEqual([['WAIT', '1', '500']]);
    const [second, third] = [waits.after(), waits.after()];
    expect(sent).toHaveLength(1);
    sent[0]!.answer(1);
    expect(await first).toBe(1);
    await tick();
    expect(sent).toHaveLength(2);
    sent[1]!.answer(0);
    expect([await second, await third]).toEqual([0, 0]);
    expect(waits.maxMs).toBe(1_000);
  });

  it('never lets a WAIT on a new connection vouch for a write on the old one', async () => {
    const { link, sent, emit } = fakeLink();
    const waits = new ReplicaWaits(link, replication, 1_000);
    void waits.after();
    const behind = waits.after();
    emit('reconnecting');
    sent[0]!.fail(new Error('socket closed'));
    await expect(behind).rejects.toBeInstanceOf(StoreUnavailableError);
    await tick();
    expect(sent).toHaveLength(1);
    // The next write, on the new connection, gets a WAIT of its own.
    const fresh = waits.after();
    expect(sent).toHaveLength(2);
    sent[1]!.answer(1);
    expect(await fresh).toBe(1);
  });

  it('still sends the next WAIT when the one out fails', async () => {
    const { link, sent } = fakeLink();
    const waits = new ReplicaWaits(link, replication, 1_000);
    const first = waits.after();
    first.catch(() => {});
    const second = waits.after();
    sent[0]!.fail(new Error('timeout'));
    await tick();
    sent[1]!.answer(1);
    expect(await second).toBe(1);
  });
});
