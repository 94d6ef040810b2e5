import { createHash } from 'node:crypto';
import type { TokenKeys } from '../keys/token-keys.js';
import type { Policy } from '../policy/policy.js';

/**
 * A name for what a cached decision rests on besides the token: the keys that verify and the
 * policy. It changes with their content (a retired key, an edited rule), not with a reload that
 * changed nothing, and every signer process with the same keys and policy names them alike, so
 * the OpenResty front forgets its cached identities exactly when a decision could now differ.
 * Computed once per loaded keys and policy (reloads build new objects).
 */
export function generationOf(keys: () => TokenKeys, policy: () => Policy | undefined): () => string {
  let last: { keys: TokenKeys; policy: Policy | undefined; name: string } | undefined;
  return () => {
    const k = keys();
    const p = policy();
    if (last?.keys !== k || last.policy !== p) last = { keys: k, policy: p, name: digest(k, p) };
    return last.name;
  };
}

function digest(keys: TokenKeys, policy: Policy | undefined): string {
  const content = JSON.stringify(
    {
      keys: { source: keys.source, kids: keys.kids, signs: keys.signer.kid ?? null },
      policy: policy === undefined ? null : { rules: policy.rules, default: policy.default, caseSensitive: policy.caseSensitive },
    },
    // Method sets (and any other set) by their sorted members.
    (_key, value: unknown) => (value instanceof Set ? [...(value as Set<unknown>)].map(String).sort() : value),
  );
  return createHash('sha256').update(content).digest('base64url').slice(0, 16);
}
