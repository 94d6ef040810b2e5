/** A path as a log line may hold it: bounded, so a client cannot fill the log with one request. */
export const MAX_LOGGED_PATH = 256;

/** `path`, cut at MAX_LOGGED_PATH characters (marked with `...`). */
export function loggedPath(path: string): string {
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}...` : path;
}
