import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4-mapped IPv6 address once canonicalised (`::ffff:7f00:1` is 127.0.0.1). */
const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * The one spelling of an IP address, so a counter or a log line never splits one client in
 * two: IPv4 dotted, IPv6 lowercase and compressed, an IPv4-mapped IPv6 address as its IPv4.
 * Anything else (a host name, a zone id `%eth0`, surrounding spaces) is `undefined`.
 */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${text}]`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = MAPPED.exec(host);
  if (!mapped) return host;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** `ipv4` or `ipv6` for a canonical address, as `net.BlockList` wants it. */
export function ipFamily(address: string): 'ipv4' | 'ipv6' {
  return isIPv4(address) ? 'ipv4' : 'ipv6';
}
