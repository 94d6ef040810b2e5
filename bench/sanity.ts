import { isExpected } from './load/types.js';
import type { Setup } from './setups.js';
import type { Minter } from './tokens/mint.js';

/**
 * Before any number is trusted: every setup that checks tokens lets a valid one through and
 * refuses an expired, a forged and each malformed one (and a request with none) with 401.
 * Throws, naming each wrong answer, when one does not; else returns what was checked.
 */
export async function checkSetups(setups: readonly Setup[], minter: Minter, path: string): Promise<string> {
  const tokens = await minter.mix({ valid: 1, expired: 1, forged: 1, malformed: 3 }, 1);
  const cases = [...tokens.map((t) => ({ kind: t.kind, headers: { authorization: `Bearer ${t.token}` }, expect: t.expect })), { kind: 'no token', headers: {}, expect: 401 }];
  const checked = setups.filter((s) => s.checksTokens);
  const wrong: string[] = [];
  for (const s of checked) {
    for (const c of cases) {
      const res = await fetch(`${s.url}${path}`, { headers: c.headers, signal: AbortSignal.timeout(10_000) });
      await res.body?.cancel();
      if (!isExpected(c.expect, res.status)) wrong.push(`${s.label}: ${c.kind} token got ${res.status}, expected ${c.expect === 0 ? '2xx' : c.expect}`);
    }
  }
  if (wrong.length > 0) throw new Error(`a setup does not check tokens as it must, so its numbers would mean nothing:\n  ${wrong.join('\n  ')}`);
  return `${checked.map((s) => s.key).join(', ')} each let a valid token through and answered 401 to an expired one, a forged one, ${cases.length - 4} malformed ones and none`;
}
