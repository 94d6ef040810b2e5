import { z } from 'zod';

/** Printable ASCII with no leading or trailing space: safe to write raw into an HTTP header. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
/** Printable ASCII without space or comma: a role can never split into two in `X-Auth-Roles`. */
const ROLE = /^[\x21-\x2b\x2d-\x7e]+$/;

export const MAX_SUB_LENGTH = 256;
export const MAX_ROLES = 64;
export const MAX_ROLE_LENGTH = 64;

/**
 * The claims that become raw identity headers. The upstream's answer is checked against it at login,
 * and every verified token again, so a token we would refuse is never issued.
 */
export const identityClaims = z.looseObject({
  sub: z
    .string({ error: 'sub must be a string' })
    .max(MAX_SUB_LENGTH, `sub must be at most ${MAX_SUB_LENGTH} characters`)
    .regex(HEADER_SAFE, 'sub must be printable ASCII without control characters or surrounding spaces'),
  roles: z
    .array(
      z
        .string({ error: 'each role must be a string' })
        .max(MAX_ROLE_LENGTH, `a role must be at most ${MAX_ROLE_LENGTH} characters`)
        .regex(ROLE, 'a role must be printable ASCII without spaces or commas'),
      { error: 'roles must be an array of strings' },
    )
    .max(MAX_ROLES, `at most ${MAX_ROLES} roles`)
    .optional(),
});

export type IdentityClaims = z.infer<typeof identityClaims>;

/** Claims the gateway sets itself; an upstream's values for them are dropped. `sid` names the login session. */
export const GATEWAY_CLAIMS = ['iat', 'exp', 'nbf', 'jti', 'iss', 'aud', 'sid'] as const;
