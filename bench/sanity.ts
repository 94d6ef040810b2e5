import { isExpected } from './load/types.js';
import { FAST_APP_BODY } from './nginx/fast-app.js';
import type { Setup } from './setups.js';
import type { Table } from './tables.js';
import type { Minter } from './tokens/mint.js';

/** The demo app's endpoint that answers with the identity it was handed. */
const WHOAMI = '/api/whoami';

/** A token's `sub`, read from its payload (the bench minted it: no verification needed). */
const subOf = (token: string): unknown => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown }).sub;

/** The `sub` of a JSON body, undefined when it is not one. */
function jsonSub(body: string): unknown {
  try {
    return (JSON.parse(body) as { sub?: unknown } | null)?.sub;
  } catch {
    return undefined;
  }
}

/** GET `url` with `headers`: its status and body. */
async function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/**
 * Where each setup's passes come from. Fast table: the fast app's fixed body (so the setup proxies
 * to it, not to a demo app). Demo table: the identity of each token's own user, read back from
 * the demo app's /api/whoami ((a) hands the app a fixed identity, so it is left out).
 */
async function checkAnswers(table: Table, setups: readonly Setup[], minter: Minter, path: string, wrong: string[]): Promise<string> {
  const users = await minter.valid(2, 'sanity-user');
  for (const s of setups) {
    for (const u of users) {
      const headers = { authorization: `Bearer ${u.token}` };
      if (table.key === 'fast') {
        const r = await get(`${s.url}${path}`, headers);
        if (r.status >= 200 && r.status < 300 && r.body.trim() !== FAST_APP_BODY)
          wrong.push(`${s.label}: a valid token's answer is not the fast app's body (${r.body.slice(0, 80)})`);
      } else if (s.checksTokens) {
        const r = await get(`${s.url}${WHOAMI}`, headers);
        const sub = jsonSub(r.body);
        if (sub !== subOf(u.token))
          wrong.push(`${s.label}: ${String(subOf(u.token))}'s token reached the demo app as ${JSON.stringify(sub)} (status ${r.status})`);
      }
    }
  }
  return table.key === 'fast'
    ? `every setup's passes are the fast app's fixed body`
    : `${setups
        .filter((s) => s.checksTokens)
        .map((s) => s.key)
        .join(', ')} each handed the demo app the identity of each of 2 users' own tokens (${WHOAMI})`;
}

/**
 * Before any number is trusted: every setup that checks tokens lets a valid one through and
 * refuses an expired, a forged and each malformed one (and a request with none) with 401, and the
 * passes come from the table's app (see checkAnswers). Throws, naming each wrong answer, when one
 * does not; else returns what was checked.
 */
export async function checkSetups(table: Table, setups: readonly Setup[], minter: Minter, path: string): Promise<string> {
  const tokens = await minter.mix({ valid: 1, expired: 1, forged: 1, malformed: 3 }, 1);
  const cases = [
    ...tokens.map((t) => ({ kind: t.kind, headers: { authorization: `Bearer ${t.token}` }, expect: t.expect })),
    { kind: 'no token', headers: {}, expect: 401 },
  ];
  const checked = setups.filter((s) => s.checksTokens);
  const wrong: string[] = [];
  for (const s of checked) {
    for (const c of cases) {
      const { status } = await get(`${s.url}${path}`, c.headers);
      if (!isExpected(c.expect, status)) wrong.push(`${s.label}: ${c.kind} token got ${status}, expected ${c.expect === 0 ? '2xx' : c.expect}`);
    }
  }
  const answers = await checkAnswers(table, setups, minter, path, wrong);
  if (wrong.length > 0)
    throw new Error(`a setup does not check tokens as it must, or answers from another app, so its numbers would mean nothing:\n  ${wrong.join('\n  ')}`);
  return `${checked.map((s) => s.key).join(', ')} each let a valid token through and answered 401 to an expired one, a forged one, ${cases.length - 4} malformed ones and none; ${answers}`;
}
