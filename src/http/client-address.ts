import type { IncomingMessage } from 'node:http';
import { canonicalIp } from './ip-address.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** What a request's client address is taken from. */
export type AddressSource = Pick<IncomingMessage, 'headers'> & { socket: { remoteAddress?: string | undefined } };

/** Stands in for a peer whose address Node no longer knows (its socket already closed). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * The client's IP address, canonical (see `canonicalIp`). The socket peer, unless the peer is
 * a trusted proxy (nginx) that sent one valid `X-Real-IP`: then that header. `X-Forwarded-For`
 * is never read: any client can write it, and only the front door knows who connected.
 */
export function clientAddress(req: AddressSource, trusted: TrustedProxies): string {
  // A link-local peer may carry its zone (`fe80::1%eth0`); the zone is not part of the address.
  const peer = canonicalIp((req.socket.remoteAddress ?? '').replace(/%.*$/, ''));
  if (peer === undefined) return UNKNOWN_ADDRESS;
  if (!trusted.contains(peer)) return peer;
  // Node joins repeated headers with ", ", which is no address: then the peer stands.
  const realIp = req.headers['x-real-ip'];
  const claimed = typeof realIp === 'string' ? canonicalIp(realIp.trim()) : undefined;
  return claimed ?? peer;
}
