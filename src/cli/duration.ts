/** Seconds per unit of a duration on the command line: `90`, `90s`, `15m`, `1h`, `2d`. */
const UNITS = { '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const;

const DURATION = /^(\d{1,9})([smhd]?)$/;

/** A duration in whole seconds within `[min, max]`, or a sentence saying what is wrong with it. */
export function parseDuration(text: string, min: number, max: number): { ok: true; seconds: number } | { ok: false; reason: string } {
  const match = DURATION.exec(text.trim());
  if (!match) return { ok: false, reason: `is not a duration such as 90, 90s, 15m, 1h or 2d (got ${JSON.stringify(text.slice(0, 32))})` };
  const seconds = Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
  if (seconds < min || seconds > max)
    return { ok: false, reason: `must be between ${formatDuration(min)} and ${formatDuration(max)} (got ${formatDuration(seconds)})` };
  return { ok: true, seconds };
}

/** A span for people: `14m 3s`, `6d 23h`, `0s`; the largest unit and the next one are precise enough. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const sizes = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const;
  const first = sizes.findIndex(([, size]) => seconds >= size);
  if (first === -1) return '0s';
  const [bigUnit, bigSize] = sizes[first]!;
  const big = Math.floor(seconds / bigSize);
  const next = sizes[first + 1];
  const small = next ? Math.floor((seconds % bigSize) / next[1]) : 0;
  return next && small > 0 ? `${big}${bigUnit} ${small}${next[0]}` : `${big}${bigUnit}`;
}

/** An instant for people and machines alike: ISO 8601 in UTC, to the second. */
export function formatInstant(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
