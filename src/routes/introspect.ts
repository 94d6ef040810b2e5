import { Router, type RequestHandler } from 'express';
import { requestCredentials } from '../auth/check-request.js';
import { createIntrospector, type Introspection } from '../auth/introspect-token.js';
import type { Core } from '../core.js';
import { GatewayError } from '../errors.js';
import { introspectOutcome } from '../metrics/introspect-outcome.js';
import { extractToken } from '../tokens/extract.js';
import { allowOnly, singleField, smallForm } from './body.js';
import { ROUTING } from './routing.js';

export const INTROSPECT_PATH = '/introspect';

const REALM = 'JWT realm="tokengate"';
const ACTIVE = 'tokengateIntrospectionActive';

/**
 * `POST /introspect` (RFC 7662): `token=<access token>` as a form, from a caller that signs its
 * own `Authorization: JWT` token (a registered client, as for `/verify`). The answer is the
 * verdict `/verify` gives the same token as a bearer token: `{"active": false}` alone for anything
 * not valid now, or `{"active": true, ...claims, "token_type": "Bearer"}`. A caller that is not a
 * client gets 401 `invalid_client` and a challenge, never an `active`. Never cached, never logged.
 */
export function introspectRouter(core: Core): Router {
  const router = Router(ROUTING);
  const introspect = createIntrospector({ verifyAccess: core.verifyAccess, sessions: core.sessions, claimHeaders: core.config.CLAIM_HEADERS });
  router
    .route(INTROSPECT_PATH)
    .post(countIntrospections(core), ...smallForm, async (req, res) => {
      const caller = await authenticateCaller(core, req.rawHeaders);
      if (!caller.ok) {
        res.set('WWW-Authenticate', caller.challenge);
        throw new GatewayError('invalid_client');
      }
      const token = singleField(req.body, 'token');
      // Read for its one-time rule only: the gateway introspects access tokens, whatever the hint.
      singleField(req.body, 'token_type_hint');
      if (token === undefined || token === '') throw new GatewayError('invalid_request', 'Send the token to introspect as the form field "token".');
      const result = await introspect(token);
      res.locals[ACTIVE] = result.active;
      core.logger.debug(
        { client: caller.client, active: result.active, reason: result.active ? undefined : result.reason, requestId: req.get('x-request-id') },
        'introspected',
      );
      res.set('Cache-Control', 'no-store').json(answer(result));
    })
    .all(allowOnly('POST'));
  return router;
}

/** The RFC 7662 answer; `active` and `token_type` are the gateway's own, whatever the claims hold. */
function answer(result: Introspection): Record<string, unknown> {
  if (!result.active) return { active: false };
  const { active: _active, token_type: _type, ...claims } = result.claims;
  // RFC 7662 §2.2 takes token_type from RFC 6749 §5.1: the `token_type` /login answers with.
  return { active: true, ...claims, token_type: 'Bearer' };
}

type Caller = { ok: true; client: string } | { ok: false; challenge: string };

/**
 * The caller must send a registered client's own signed token (`Authorization: JWT`), whose nonce
 * is claimed here as on `/verify`. A user's bearer token is no caller credential.
 */
async function authenticateCaller(core: Core, rawHeaders: string[]): Promise<Caller> {
  const found = extractToken(requestCredentials(rawHeaders, undefined));
  if (found.kind === 'malformed') return { ok: false, challenge: `${REALM}, error="invalid_request"` };
  if (found.kind !== 'client') return { ok: false, challenge: REALM };
  const result = await core.verifyClient(found.token);
  return result.ok ? { ok: true, client: result.client } : { ok: false, challenge: `${REALM}, error="invalid_token"` };
}

/** Counts each `POST /introspect` by outcome once its answer is sent, bad bodies included. */
function countIntrospections(core: Core): RequestHandler {
  return (_req, res, next) => {
    res.once('finish', () => core.metrics.introspect.inc({ outcome: introspectOutcome(res.statusCode, res.locals[ACTIVE] as boolean | undefined) }));
    next();
  };
}
