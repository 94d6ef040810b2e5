import { readFileSync } from 'node:fs';

/** Clock ticks per second as Linux reports /proc times (USER_HZ: 100 on every mainstream build). */
const USER_HZ = 100;

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in seconds; the name in parentheses may hold spaces. */
export function cpuSecondsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** CPU seconds a process (the demo app) has used so far; NaN when it cannot be read (not Linux, gone). */
export function processCpuSeconds(pid: number): number {
  try {
    return cpuSecondsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}
