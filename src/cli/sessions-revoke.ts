import { errorCode, printable, refusal, revokeAllAnswer, revokeOneAnswer } from './admin-answers.js';
import { openAdminClient } from './admin-client.js';
import { parseCommand } from './args.js';
import { formatInstant } from './duration.js';
import { EXIT, failure, note, type CliIo } from './io.js';
import { checkSessionId, checkUser, sessionsPath } from './sessions-list.js';

const NAME = 'sessions revoke';

/**
 * `tokengate sessions revoke USER [--session ID]`: ends one session of the user, or every one of
 * them and every token of theirs issued until now, through the signer's admin API.
 */
export async function sessionsRevoke(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(
    NAME,
    io,
    { args, options: { session: { type: 'string' }, signer: { type: 'string' } }, strict: true, allowPositionals: true },
    1,
  );
  if (!parsed) return EXIT.usage;
  const user = checkUser(NAME, io, parsed.positionals[0]);
  if (typeof user === 'number') return user;
  const sid = parsed.values.session;
  if (sid !== undefined && !checkSessionId(NAME, io, sid)) return EXIT.usage;
  const client = await openAdminClient(NAME, io, parsed.values.signer);
  if (typeof client === 'number') return client;
  const answer = await client.call('DELETE', sessionsPath(user, sid));
  if (!answer.ok) return failure(io, NAME, answer.reason);
  const who = JSON.stringify(printable(user, 80));
  if (sid !== undefined) {
    if (answer.status === 404 && errorCode(answer.body) === 'session_not_found')
      return failure(io, NAME, `${who} has no live session ${sid} (ended, expired, or not theirs): nothing was ended`);
    if (answer.status !== 200 || !revokeOneAnswer.safeParse(answer.body).success) return failure(io, NAME, refusal(client.base, answer.status, answer.body));
    note(io, NAME, `ended session ${sid} of ${who}: its tokens are refused from now on`);
    return EXIT.ok;
  }
  const ended = answer.status === 200 ? revokeAllAnswer.safeParse(answer.body) : undefined;
  if (!ended?.success) return failure(io, NAME, refusal(client.base, answer.status, answer.body));
  const { ended: count, notBefore } = ended.data;
  const what = count === 0 ? `${who} had no live session` : `ended ${count} session${count === 1 ? '' : 's'} of ${who}`;
  note(io, NAME, `${what}; every token of theirs issued up to ${formatInstant(notBefore)} is refused from now on`);
  return EXIT.ok;
}
