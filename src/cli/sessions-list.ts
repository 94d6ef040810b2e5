import { sessionIdParam, subjectParam } from '../admin/session-admin.js';
import { listAnswer, printable, refusal } from './admin-answers.js';
import { openAdminClient } from './admin-client.js';
import { parseCommand } from './args.js';
import { EXIT, failure, note, usageError, type CliIo } from './io.js';
import { sessionsTable } from './sessions-table.js';

const NAME = 'sessions list';

/** The admin API's path for a user's sessions, or one of them. */
export const sessionsPath = (user: string, sid?: string): string =>
  `/admin/v1/users/${encodeURIComponent(user)}/sessions${sid === undefined ? '' : `/${encodeURIComponent(sid)}`}`;

/** USER as the signer accepts it, else a usage error (exit 2) naming the rule. */
export function checkUser(name: string, io: CliIo, user: string | undefined): string | number {
  if (user === undefined) return usageError(io, name, `give the user (see tokengate ${name} --help)`);
  if (!subjectParam.safeParse(user).success)
    return usageError(io, name, `a user is 1 to 256 printable ASCII characters, without surrounding spaces (got ${JSON.stringify(printable(user, 80))})`);
  return user;
}

/** A session id as the signer makes them, else a usage error (exit 2). */
export function checkSessionId(name: string, io: CliIo, sid: string): boolean {
  if (sessionIdParam.safeParse(sid).success) return true;
  usageError(
    io,
    name,
    `a session id is 1 to 128 letters, digits, "_" or "-", as tokengate sessions list shows them (got ${JSON.stringify(printable(sid, 80))})`,
  );
  return false;
}

/** `tokengate sessions list USER [--json]`: the user's live sessions, from the signer's admin API. */
export async function sessionsList(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: { json: { type: 'boolean' }, signer: { type: 'string' } }, strict: true, allowPositionals: true }, 1);
  if (!parsed) return EXIT.usage;
  const user = checkUser(NAME, io, parsed.positionals[0]);
  if (typeof user === 'number') return user;
  const client = await openAdminClient(NAME, io, parsed.values.signer);
  if (typeof client === 'number') return client;
  const answer = await client.call('GET', sessionsPath(user));
  if (!answer.ok) return failure(io, NAME, answer.reason);
  if (answer.status !== 200) return failure(io, NAME, refusal(client.base, answer.status, answer.body));
  const listed = listAnswer.safeParse(answer.body);
  if (!listed.success) return failure(io, NAME, `${client.base} answered 200 with an unexpected body`);
  const { sessions } = listed.data;
  if (parsed.values.json) {
    io.out.write(`${JSON.stringify(listed.data)}\n`);
    return EXIT.ok;
  }
  if (sessions.length > 0) io.out.write(sessionsTable(sessions));
  const who = JSON.stringify(printable(user, 80));
  note(
    io,
    NAME,
    sessions.length === 0 ? `no live sessions for ${who}` : `${sessions.length} live session${sessions.length === 1 ? '' : 's'} for ${who} (times in UTC)`,
  );
  return EXIT.ok;
}
