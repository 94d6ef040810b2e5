import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The program to run: the configured path, else `name` on PATH, else `fallback` (where Debian
 * installs it, for a PATH without /usr/sbin); undefined when none is executable.
 */
export function findExecutable(name: string, fallback: string, configured?: string): string | undefined {
  const candidates = configured
    ? [configured]
    : [
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, name)),
        fallback,
      ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
