import { ADMIN_CALL_TIMEOUT_MS } from './admin-client.js';
import type { Command } from './io.js';
import { runSubcommand, type Subcommand } from './subcommands.js';
import { sessionsList } from './sessions-list.js';
import { sessionsRevoke } from './sessions-revoke.js';

const SUBCOMMANDS: Record<string, Subcommand> = {
  list: sessionsList,
  revoke: sessionsRevoke,
};

/** `tokengate sessions ...`: a user's login sessions, seen and ended through the signer's admin API. */
export const sessionsCommand: Command = {
  usage: 'tokengate sessions list|revoke <user> ...',
  summary: "list a user's live sessions, or end one or all of them, through the signer's admin API",
  details: [
    'tokengate sessions list USER [--json]',
    '    the live sessions of USER, oldest first: session id, start, last refresh, address and',
    '    user agent (as the signer saw them at sign-in or the last refresh), end; times in UTC.',
    "    --json prints the admin API's answer instead (times in unix seconds).",
    'tokengate sessions revoke USER',
    '    end every session of USER and refuse every token of theirs issued until now, access',
    '    tokens already out included, on every signer within a second. A new sign-in works.',
    'tokengate sessions revoke USER --session ID',
    '    end that one session (an id from tokengate sessions list).',
    '',
    '--signer URL   the signer to call (default http://SIGNER_HOST:SIGNER_PORT, loopback for',
    '               0.0.0.0 and ::); with the embedded front, its admin API listens there too.',
    '',
    "Run it where the signer runs, with the signer's environment (npm start's, from the",
    'checkout): each call carries a fresh credential (good for 60 s) signed with a key derived',
    "from the signer's secret (JWT_SECRET_FILE or JWT_SECRET), naming cli:<your user name> in",
    `the signer's audit log. Neither is ever printed. Every call gives up after ${ADMIN_CALL_TIMEOUT_MS / 1000} s.`,
  ],
  run: (args, io) => runSubcommand('sessions', SUBCOMMANDS, args, io),
};
