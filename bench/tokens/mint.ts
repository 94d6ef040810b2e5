import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import { secretKeys } from '../../src/signing-keys/token-keys.js';
import { loadSecret } from '../../src/secret/load-secret.js';
import { importHmacKey } from '../../src/tokens/keys.js';
import { createTokenIssuer, type TokenIssuer } from '../../src/tokens/sign.js';
import type { MixToken } from '../load/types.js';
import { malformedToken, ofKind, shuffled, type MixPlan } from './mix.js';

/** The token settings the bench's signers run with: the defaults, since the stacks set none of them. */
export interface TokenSettings {
  issuer: string;
  audience: string | undefined;
  ttlSeconds: number;
  clockSkewS: number;
}

/** ISSUER, AUDIENCE, TOKEN_TTL_S and CLOCK_SKEW_S as the signer's own config schema gives them by default. */
export function defaultTokenSettings(): TokenSettings {
  const parsed = parseConfig({});
  if (!parsed.ok) throw new Error(`the signer's default config does not parse: ${parsed.problems.map((p) => p.variable).join(', ')}`);
  const c = parsed.config;
  return { issuer: c.ISSUER, audience: c.AUDIENCE, ttlSeconds: c.TOKEN_TTL_S, clockSkewS: c.CLOCK_SKEW_S };
}

/** Mints tokens with the product's own issuer, so they are indistinguishable from ones /login hands out. */
export interface Minter {
  /** Valid, expired, forged and malformed tokens as planned, in a seeded random order. */
  mix(plan: MixPlan, seed: number): Promise<MixToken[]>;
  /** `count` valid tokens, each for a user of its own named `<prefix>-<n>`. */
  valid(count: number, prefix: string): Promise<MixToken[]>;
}

/** Signs in batches, so a hundred thousand tokens do not queue a hundred thousand promises at once. */
async function signAll(issue: TokenIssuer, subs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < subs.length; i += 1000) {
    const batch = await Promise.all(subs.slice(i, i + 1000).map((sub) => issue({ sub, roles: ['user'] })));
    out.push(...batch.map((t) => t.token));
  }
  return out;
}

const users = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(from + i).padStart(6, '0')}`);

/**
 * A minter holding the stacks' HS256 secret (read as the signer reads it, never printed). Expired
 * tokens are issued with a clock set back past their lifetime and the leeway; forged ones are
 * signed with a random key of the same size.
 */
export async function createMinter(secretFile: string, settings: TokenSettings): Promise<Minter> {
  const { secret } = await loadSecret({ file: secretFile });
  const issuer = (key: Uint8Array, now?: () => number) =>
    importHmacKey(key).then((k) =>
      createTokenIssuer({
        keys: () => secretKeys(k),
        issuer: settings.issuer,
        audience: settings.audience,
        ttlSeconds: settings.ttlSeconds,
        ...(now ? { now } : {}),
      }),
    );
  const pastS = settings.ttlSeconds + settings.clockSkewS + 3600;
  const [good, stale, forger] = await Promise.all([
    issuer(secret),
    issuer(secret, () => Date.now() - pastS * 1000),
    issuer(new Uint8Array(randomBytes(secret.length))),
  ]);
  return {
    async mix(plan, seed) {
      const valid = await signAll(good, users('user', 0, plan.valid));
      const expired = await signAll(stale, users('user', 0, plan.expired));
      const forged = await signAll(forger, users('user', 0, plan.forged));
      // Made from real tokens (any valid one, or one minted for the shape when the plan has none).
      const shapes = valid.length > 0 ? valid : await signAll(good, ['user-shape']);
      const malformed = Array.from({ length: plan.malformed }, (_, i) => malformedToken(shapes[i % shapes.length]!, i));
      return shuffled([...ofKind('valid', valid), ...ofKind('expired', expired), ...ofKind('forged', forged), ...ofKind('malformed', malformed)], seed);
    },
    async valid(count, prefix) {
      return ofKind('valid', await signAll(good, users(prefix, 0, count)));
    },
  };
}
