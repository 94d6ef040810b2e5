import { printable, type SessionAnswer } from './admin-answers.js';
import { formatInstant } from './duration.js';

/** A user agent is cut to this many characters in the table (`--json` has it whole). */
const USER_AGENT_WIDTH = 40;

const HEADINGS = ['SESSION', 'STARTED', 'LAST REFRESH', 'ADDRESS', 'USER AGENT', 'ENDS'] as const;

/** The cells of one session, every one printable; `-` for what the signer did not see. */
function cells(s: SessionAnswer): string[] {
  const agent = s.userAgent === null ? '-' : printable(s.userAgent, USER_AGENT_WIDTH);
  return [
    printable(s.sid, 128),
    formatInstant(s.startedAt),
    formatInstant(s.lastRefreshAt),
    s.address === null ? '-' : printable(s.address, 64),
    agent,
    formatInstant(s.expiresAt),
  ];
}

/** A user's sessions as an aligned table (times in UTC), a heading line first. */
export function sessionsTable(sessions: readonly SessionAnswer[]): string {
  const rows = [[...HEADINGS], ...sessions.map(cells)];
  const widths = HEADINGS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}
