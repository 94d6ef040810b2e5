import { z } from 'zod';

// What the Redis store's scripts (lua.ts) answer, parsed before use.

/** Stored claims: a JSON object. */
export const claimsJson = z.string().transform((text, ctx) => {
  const parsed = z.record(z.string(), z.unknown()).safeParse(JSON.parse(text));
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: 'custom', message: 'stored claims are not an object' });
  return z.NEVER;
});

/** REVOKE_SUBJECT: sessions ended, deadline in force, then the ids of the sessions it revoked. */
export const revokeSubjectReply = z.tuple([z.coerce.number(), z.coerce.number()]).rest(z.string());

/** LIST_SESSIONS: sid, start, last rotation, end, address, user agent. */
export const listReply = z.array(z.tuple([z.string(), z.coerce.number(), z.coerce.number(), z.coerce.number(), z.string(), z.string()]));

/** ROTATE_REFRESH. A missing MAC (`HMGET`'s false) comes back as null. */
export const rotateReply = z.union([
  // Claims, end, the 'prev', 'rot' and 'dead' the rotation replaced (for UNROTATE), and the MAC as stored.
  z.tuple([z.literal('rotated'), z.string(), z.string(), z.string(), z.string(), z.string(), z.string().nullable().optional()]),
  // Claims, end and MAC as stored: the claims are parsed only once the MAC holds.
  z.tuple([z.literal('grace'), z.string(), z.string(), z.string().nullable().optional()]),
  z.tuple([z.literal('reused'), z.coerce.number()]),
  z.tuple([z.literal('unknown')]),
]);

export type RotateReply = z.infer<typeof rotateReply>;
