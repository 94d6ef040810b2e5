import { GATEWAY_CLAIMS, identityClaims } from '../tokens/claims.js';

/** Names `--claim` refuses: the gateway sets them, or `--sub` and `--roles` give them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'sub', 'roles', ...GATEWAY_CLAIMS]);

/** Starts with a letter, so no `__proto__`; short, and safe in logs and headers. */
const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

export interface MintArguments {
  sub?: string | undefined;
  roles?: string | undefined;
  claim?: string[] | undefined;
}

/**
 * The claims of a minted token from the command line, checked by the same identity rules as a
 * login's (so mint never signs what the verifier would refuse), or a sentence saying what is wrong.
 */
export function mintClaims(args: MintArguments): { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string } {
  if (args.sub === undefined) return { ok: false, reason: '--sub is required (the user the token is for)' };
  const extra: [string, string][] = [];
  for (const pair of args.claim ?? []) {
    const at = pair.indexOf('=');
    const name = at === -1 ? pair : pair.slice(0, at);
    if (at === -1) return { ok: false, reason: `--claim takes name=value (got ${JSON.stringify(pair.slice(0, 64))})` };
    if (!CLAIM_NAME.test(name))
      return {
        ok: false,
        reason: `--claim ${JSON.stringify(name.slice(0, 64))}: a claim name is a letter, then up to 63 letters, digits, "_", ".", ":" or "-"`,
      };
    if (RESERVED_CLAIMS.has(name)) return { ok: false, reason: `--claim ${name}: the gateway sets ${name} itself (use --sub and --roles for the identity)` };
    if (extra.some(([n]) => n === name)) return { ok: false, reason: `--claim ${name} is given twice` };
    extra.push([name, pair.slice(at + 1)]);
  }
  // Empty parts are kept, so "admin," is refused by the role rule rather than silently shortened.
  const roles = args.roles === undefined ? {} : { roles: args.roles.split(',') };
  const claims = { ...Object.fromEntries(extra), sub: args.sub, ...roles };
  const checked = identityClaims.safeParse(claims);
  if (!checked.success) return { ok: false, reason: checked.error.issues.map((i) => i.message).join('; ') };
  return { ok: true, claims };
}
