/**
 * The demo app's exit statuses: tokengate's own (`src/exit.ts`, which test/unit/exit-codes.test.ts
 * holds this copy to), kept here because the app's image holds only upstream-example/.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
