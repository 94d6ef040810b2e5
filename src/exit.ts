/**
 * The exit statuses of every tokengate process (the signer, the CLI, the scripts, the benchmark):
 * 0 done; 1 failed (a check, a key ring, a token, a server that could not run); 2 the
 * configuration or the command line is wrong, so running it again unchanged cannot help. The
 * only place status 2 is written down (test/unit/exit-codes.test.ts); the demo app imports it too
 * (its image copies this file).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
