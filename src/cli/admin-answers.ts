import { z } from 'zod';

/** One session as the admin API lists it (times in unix seconds). */
export const sessionAnswer = z.object({
  sid: z.string(),
  startedAt: z.number(),
  lastRefreshAt: z.number(),
  expiresAt: z.number(),
  address: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type SessionAnswer = z.infer<typeof sessionAnswer>;

/** `GET /admin/v1/users/<user>/sessions`. */
export const listAnswer = z.object({ user: z.string(), sessions: z.array(sessionAnswer) });
/** `DELETE /admin/v1/users/<user>/sessions`. */
export const revokeAllAnswer = z.object({ user: z.string(), ended: z.number().int().nonnegative(), notBefore: z.number() });
/** `DELETE /admin/v1/users/<user>/sessions/<sid>`. */
export const revokeOneAnswer = z.object({ user: z.string(), sid: z.string(), ended: z.number() });

const errorAnswer = z.object({ error: z.string(), message: z.string().optional() });

/** The admin API's error code in an answer, if it has one. */
export function errorCode(body: unknown): string | undefined {
  const parsed = errorAnswer.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

/** Text from the network, made safe to print on a terminal: printable ASCII only, and short. */
export function printable(text: string, max = 200): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** Why the admin API refused (any answer but the one expected), in words for the operator. */
export function refusal(base: string, status: number, body: unknown): string {
  const parsed = errorAnswer.safeParse(body);
  const code = parsed.success ? parsed.data.error : undefined;
  if (status === 401) {
    return `the signer at ${base} refused this command's admin credential (401): run it with the signer's secret (its JWT_SECRET_FILE or JWT_SECRET), on a clock within CLOCK_SKEW_S of the signer's`;
  }
  if (status === 404 && code === 'not_found')
    return `${base} has no admin API (404 not_found): give the signer's own address (SIGNER_HOST:SIGNER_PORT), not the gateway's`;
  if (!parsed.success) return `${base} answered ${status} with an unexpected body`;
  const message = parsed.data.message === undefined ? '' : `: ${printable(parsed.data.message)}`;
  return `the signer at ${base} answered ${status} ${printable(parsed.data.error, 64)}${message}`;
}
