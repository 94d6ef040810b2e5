import { createHash } from 'node:crypto';
import type { TokenKeys } from '../signing-keys/token-keys.js';
import type { Policy } from '../policy/policy.js';

/** What the HMAC fingerprint of a shared key is taken over: a fixed label, never a token. */
const FINGERPRINT_LABEL = new TextEncoder().encode('tokengate identity cache generation');

/**
 * A name for what a cached decision rests on besides the token: the keys that verify and the
 * policy. It changes with their content (a retired key, a new secret, an edited rule), not with
 * a reload that changed nothing, and every signer process with the same keys and policy names
 * them alike, so the OpenResty front forgets its cached identities exactly when a decision could
 * now differ. A shared (HS256) key enters only as an HMAC of a fixed label under it: the name
 * says that the secret changed, never what it is. Computed once per loaded keys and policy
 * (reloads build new objects).
 */
export function generationOf(keys: () => TokenKeys, policy: () => Policy | undefined): () => Promise<string> {
  let last: { keys: TokenKeys; policy: Policy | undefined; name: Promise<string> } | undefined;
  return () => {
    const k = keys();
    const p = policy();
    if (last?.keys !== k || last.policy !== p) last = { keys: k, policy: p, name: digest(k, p) };
    return last.name;
  };
}

async function digest(keys: TokenKeys, policy: Policy | undefined): Promise<string> {
  const { key } = keys.signer;
  const shared =
    key.algorithm.name === 'HMAC' && key.usages.includes('sign')
      ? Buffer.from(await crypto.subtle.sign('HMAC', key, FINGERPRINT_LABEL)).toString('base64url')
      : null;
  const content = JSON.stringify(
    {
      keys: { source: keys.source, kids: keys.kids, signs: keys.signer.kid ?? null, shared, public: keys.publicJwks() },
      policy: policy === undefined ? null : { rules: policy.rules, default: policy.default, caseSensitive: policy.caseSensitive },
    },
    // Method sets (and any other set) by their sorted members.
    (_key, value: unknown) => (value instanceof Set ? [...(value as Set<unknown>)].map(String).sort() : value),
  );
  return createHash('sha256').update(content).digest('base64url').slice(0, 16);
}
