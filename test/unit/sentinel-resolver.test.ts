import { describe, expect, it } from 'vitest';
import type { RedisNode } from '../../src/store/redis-target.js';
import { SentinelResolver } from '../../src/store/sentinel-resolver.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { silentLogger } from '../fixtures/signer.js';

const SENTINELS = [26379, 26380, 26381].map((port) => ({ host: '10.0.0.9', port }));
type Answer = { ip: string; port: number; epoch: number; flags?: string } | 'hang' | 'refuse';

/** A resolver whose sentinels answer from `answers` (by sentinel port), as RESP3 maps or RESP2 lists alike. */
function resolverWith(answers: Map<number, Answer>) {
  const question = (sentinel: RedisNode) => {
    const a = answers.get(sentinel.port) ?? 'refuse';
    if (a === 'hang') return new Promise<unknown>(() => {});
    if (a === 'refuse') return Promise.reject(new Error('connect ECONNREFUSED'));
    const fields = { name: 'tg', ip: a.ip, port: String(a.port), flags: a.flags ?? 'master', 'config-epoch': String(a.epoch) };
    return Promise.resolve(sentinel.port % 2 === 0 ? Object.entries(fields).flat() : fields);
  };
  const resolver = new SentinelResolver({
    target: { sentinels: SENTINELS, masterName: 'tg', tls: false },
    timeoutMs: 100,
    checkMs: 1_000,
    logger: silentLogger(),
    question,
  });
  const moves: RedisNode[] = [];
  resolver.on('master', (node: RedisNode) => moves.push(node));
  return { resolver, moves };
}

const OLD = { ip: '10.0.1.1', port: 6379, epoch: 1 };
const NEW = { ip: '10.0.1.2', port: 6379, epoch: 2 };

describe('asking the sentinels where the master is', () => {
  it('follows the highest config epoch of a majority: a sentinel that missed the failover is outvoted', async () => {
    const { resolver } = resolverWith(
      new Map<number, Answer>([
        [26379, OLD],
        [26380, NEW],
        [26381, 'hang'],
      ]),
    );
    expect(await resolver.master()).toEqual({ host: '10.0.1.2', port: 6379 });
  });

  it('never goes back to an older master, even when a majority still names it', async () => {
    const answers = new Map<number, Answer>([
      [26379, NEW],
      [26380, NEW],
      [26381, NEW],
    ]);
    const { resolver, moves } = resolverWith(answers);
    await resolver.master();
    answers.set(26379, OLD).set(26380, OLD);
    expect(await resolver.master()).toEqual({ host: '10.0.1.2', port: 6379 });
    expect(moves).toEqual([]);
  });

  it('tells its listeners when the master moves', async () => {
    const answers = new Map<number, Answer>([
      [26379, OLD],
      [26380, OLD],
      [26381, OLD],
    ]);
    const { resolver, moves } = resolverWith(answers);
    await resolver.master();
    for (const port of [26379, 26380, 26381]) answers.set(port, NEW);
    await resolver.master();
    expect(moves).toEqual([{ host: '10.0.1.2', port: 6379 }]);
  });

  it('passes over a view that holds its master down, unless every view does', async () => {
    const down = { ...OLD, epoch: 3, flags: 'master,s_down,o_down' };
    expect(
      await resolverWith(
        new Map<number, Answer>([
          [26379, down],
          [26380, NEW],
          [26381, NEW],
        ]),
      ).resolver.master(),
    ).toEqual({ host: '10.0.1.2', port: 6379 });
    expect(
      await resolverWith(
        new Map<number, Answer>([
          [26379, down],
          [26380, 'refuse'],
          [26381, 'refuse'],
        ]),
      ).resolver.master(),
    ).toEqual({ host: '10.0.1.1', port: 6379 });
  });

  it('keeps the last known master when no sentinel answers, and has none to give before it knew one', async () => {
    const answers = new Map<number, Answer>([
      [26379, NEW],
      [26380, NEW],
      [26381, NEW],
    ]);
    const { resolver } = resolverWith(answers);
    await resolver.master();
    for (const port of [26379, 26380, 26381]) answers.set(port, port === 26381 ? 'hang' : 'refuse');
    expect(await resolver.master()).toEqual({ host: '10.0.1.2', port: 6379 });
    await expect(resolverWith(new Map()).resolver.master()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
