/**
 * Exact paths, as nginx's `location = /login` matches them: `/LOGIN` and `/login/` are other
 * paths (protected ones, behind the gateway), never the login route.
 */
export const ROUTING = { caseSensitive: true, strict: true } as const;
