import type { IdentityKind } from '../auth/identity-headers.js';

/** A claim value a rule can ask for; compared with `===`, so `42` and `"42"` differ. */
export type ClaimValue = string | number | boolean;

/**
 * What a rule asks of a request: nothing (`public`), any valid identity (`authenticated`),
 * nobody (`deny`), or an identity with every listed condition.
 */
export type Requirement =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'deny' }
  | {
      kind: 'conditions';
      /** At least one of these roles. */
      anyRole?: readonly string[] | undefined;
      /** Every one of these roles. */
      allRoles?: readonly string[] | undefined;
      /** Each claim equal to its value. */
      claims?: Readonly<Record<string, ClaimValue>> | undefined;
      /** A user (a token the gateway signed) or a client (a server's own token): their names share one space. */
      identity?: IdentityKind | undefined;
    };

/** The verified claims a requirement is checked against. */
export type Claims = { roles?: readonly string[] | undefined } & Readonly<Record<string, unknown>>;

/** Whether a valid identity of this kind, with these claims, meets the requirement. */
export function meets(requirement: Requirement, claims: Claims, kind: IdentityKind): boolean {
  switch (requirement.kind) {
    case 'public':
    case 'authenticated':
      return true;
    case 'deny':
      return false;
    case 'conditions': {
      if (requirement.identity !== undefined && requirement.identity !== kind) return false;
      const roles = Array.isArray(claims.roles) ? claims.roles : [];
      if (requirement.anyRole && !requirement.anyRole.some((r) => roles.includes(r))) return false;
      if (requirement.allRoles && !requirement.allRoles.every((r) => roles.includes(r))) return false;
      if (requirement.claims && !Object.entries(requirement.claims).every(([name, value]) => Object.hasOwn(claims, name) && claims[name] === value))
        return false;
      return true;
    }
  }
}
