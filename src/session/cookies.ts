import { parse, serialize, type SerializeOptions } from 'cookie';
import type { SessionTokens } from './sessions.js';

/** The session cookies of one response: what to set (or clear) for access and refresh. */
export interface SessionCookies {
  access: string;
  refresh: string;
}

/** Both values, in the order every answer sends them as `Set-Cookie` headers. */
export const setCookieValues = (cookies: SessionCookies): string[] => [cookies.access, cookies.refresh];

/** The cookie values a request carried. */
export interface RequestCookies {
  access?: string | undefined;
  refresh?: string | undefined;
  csrf?: string | undefined;
}

/**
 * Names and attributes, pinned here. `__Host-` makes the browser insist on `Secure`, `Path=/`
 * and no `Domain`, so a sibling subdomain cannot plant or overwrite them; without `Secure`
 * (a plain-http demo) the prefix would make browsers drop the cookie, so it goes too.
 */
export function cookieNames(secure: boolean): Required<{ [K in keyof RequestCookies]: string }> {
  const prefix = secure ? '__Host-' : '';
  return { access: `${prefix}tg_access`, refresh: `${prefix}tg_refresh`, csrf: `${prefix}tg_csrf` };
}

/** Every spelling of our cookie names, so nginx and the front can keep them from the app. */
export const ALL_COOKIE_NAMES: readonly string[] = [...Object.values(cookieNames(true)), ...Object.values(cookieNames(false))];

export const CSRF_COOKIE_TTL_S = 3600;

/** Builds the cookie jar for one configuration. */
export function createCookieJar(opts: { secure: boolean }) {
  const names = cookieNames(opts.secure);
  // The refresh cookie must reach /verify on every protected path to rotate there (see
  // docs/sessions.md): Path=/ with SameSite=Strict, and nginx strips it before the app.
  const base = { httpOnly: true, secure: opts.secure, path: '/' } as const;
  const attrs: Record<keyof RequestCookies, SerializeOptions> = {
    access: { ...base, sameSite: 'lax' },
    refresh: { ...base, sameSite: 'strict' },
    csrf: { ...base, sameSite: 'strict' },
  };
  const clear = (which: keyof RequestCookies) => serialize(names[which], '', { ...attrs[which], maxAge: 0, expires: new Date(0) });

  return {
    names,
    /** Set-Cookie values for a fresh pair of tokens, each living as long as its token. */
    session(tokens: SessionTokens): SessionCookies {
      return {
        access: serialize(names.access, tokens.access.token, { ...attrs.access, maxAge: tokens.access.expiresIn }),
        refresh: serialize(names.refresh, tokens.refresh.token, { ...attrs.refresh, maxAge: tokens.refresh.expiresIn }),
      };
    },
    /** Set-Cookie values that delete both, with the same attributes they were set with. */
    cleared(): SessionCookies {
      return { access: clear('access'), refresh: clear('refresh') };
    },
    /** The CSRF double-submit cookie for a login or logout form. */
    csrf(token: string): string {
      return serialize(names.csrf, token, { ...attrs.csrf, maxAge: CSRF_COOKIE_TTL_S });
    },
    /** Reads our cookies from the request's Cookie header(s); a malformed header reads as none. */
    read(header: string | undefined): RequestCookies {
      if (header === undefined || header === '') return {};
      const all = parse(header);
      return { access: all[names.access], refresh: all[names.refresh], csrf: all[names.csrf] };
    },
  };
}

export type CookieJar = ReturnType<typeof createCookieJar>;
