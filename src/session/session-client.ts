import { clientAddress, type AddressSource } from '../http/client-address.js';
import type { TrustedProxies } from '../http/trusted-proxies.js';
import { MAX_USER_AGENT_LENGTH, type SessionClient } from '../store/store.js';

/** Control characters, and anything outside printable ASCII: a stored user agent is shown on an admin page. */
const UNPRINTABLE = /[^\x20-\x7e]/g;

/**
 * Where a login or refresh came from, as the session list shows it: the client's address (as
 * `clientAddress` decides it) and its `User-Agent`, printable ASCII only and cut short. Neither
 * decides anything: they are what an admin reads to tell one session from another.
 */
export function sessionClient(req: AddressSource, trusted: TrustedProxies): SessionClient {
  const agent = req.headers['user-agent'];
  const userAgent = typeof agent === 'string' ? agent.replace(UNPRINTABLE, '').trim().slice(0, MAX_USER_AGENT_LENGTH) : '';
  return { address: clientAddress(req, trusted), ...(userAgent ? { userAgent } : {}) };
}
