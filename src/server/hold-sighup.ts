/**
 * Imported first by each entry point, before the rest of it is even read: Node's default for a
 * SIGHUP is to exit, so one sent while the process starts (a deploy script reloading every signer
 * right after a restart) would kill it. Until `releaseSighup`, a SIGHUP is only remembered.
 */
let pending = false;
const remember = (): void => {
  pending = true;
};
process.on('SIGHUP', remember);

/** From now on SIGHUP calls `reload`; one that arrived while starting (the keys may be older than it) reloads at once. */
export function releaseSighup(reload: () => void): void {
  process.off('SIGHUP', remember);
  process.on('SIGHUP', reload);
  if (pending) {
    pending = false;
    reload();
  }
}
