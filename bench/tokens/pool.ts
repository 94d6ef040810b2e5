import type { MixToken } from '../load/types.js';
import type { Minter } from './mint.js';

/** Distinct valid tokens for the first-sight runs, minted once and shared by the tables. */
export interface FreshPool {
  /**
   * `rounds` lists of `perRound` distinct valid tokens, none in two lists. The same lists may go
   * to every setup of a round, and to both tables: no two setups share a cache.
   */
  rounds(rounds: number, perRound: number): Promise<MixToken[][]>;
}

/**
 * A pool on top of `minter` that mints more only when asked for more than it holds, and mints
 * all anew once its tokens are older than `maxAgeMs` (half their lifetime, so none expires mid-run).
 */
export function createFreshPool(minter: Pick<Minter, 'valid'>, maxAgeMs: number, now: () => number = Date.now): FreshPool {
  let tokens: MixToken[] = [];
  let mintedAt = 0;
  const cache = new Map<string, MixToken[][]>();
  return {
    async rounds(rounds, perRound) {
      const need = rounds * perRound;
      if (now() - mintedAt > maxAgeMs) {
        tokens = [];
        cache.clear();
      }
      if (tokens.length < need) {
        if (tokens.length === 0) mintedAt = now();
        // New users past the ones already minted, so no token (nor user) repeats.
        const more = await minter.valid(need - tokens.length, `first-${mintedAt}-${tokens.length}`);
        tokens = [...tokens, ...more];
      }
      // The same lists for the same request: the wrk generator writes each list's file once.
      const key = `${rounds}x${perRound}`;
      const lists = cache.get(key) ?? Array.from({ length: rounds }, (_, r) => tokens.slice(r * perRound, (r + 1) * perRound));
      cache.set(key, lists);
      return lists;
    },
  };
}
