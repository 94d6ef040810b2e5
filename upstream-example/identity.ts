import type { Request } from 'express';

export interface Identity {
  sub: string;
  roles: string[];
  claims: Record<string, unknown> | null;
}

/** Reads what nginx (or the embedded front) put in `X-Auth-*`; the app never sees a token. */
export function identityFrom(req: Request): Identity | undefined {
  const sub = req.get('x-auth-sub');
  if (!sub) return undefined;
  const roles = (req.get('x-auth-roles') ?? '').split(',').filter((r) => r !== '');
  return { sub, roles, claims: decodeClaims(req.get('x-auth-claims')) };
}

function decodeClaims(value: string | undefined): Record<string, unknown> | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Every `X-Auth*` header as received (any case, `-` or `_`), so tests can see nothing else slipped through. */
export function receivedAuthHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (/^x[-_]auth/i.test(name)) out[name] = req.rawHeaders[i + 1]!;
  }
  return out;
}
