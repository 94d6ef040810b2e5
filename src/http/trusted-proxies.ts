import { BlockList } from 'node:net';
import { canonicalIp, ipFamily } from './ip-address.js';

/** The peers whose `X-Real-IP` is believed: `TRUSTED_PROXIES`, parsed once at start. */
export interface TrustedProxies {
  /** Whether the (canonical or raw) address is one of the trusted proxies. */
  contains(address: string): boolean;
  /** The entries as given, canonicalised (`127.0.0.0/8`, `::1/128`), for logs and tests. */
  readonly entries: readonly string[];
}

/** The parsed list, or every problem with it. */
export type ParsedProxies = { ok: true; proxies: TrustedProxies } | { ok: false; problems: string[] };

/**
 * Parses a comma-separated list of addresses and CIDR ranges (`10.0.0.0/8, ::1`). Every bad
 * entry is reported, by its text. An IPv4-mapped IPv6 entry means its IPv4 address, as peers
 * are compared in that form.
 */
export function parseTrustedProxies(list: string): ParsedProxies {
  const blocks = new BlockList();
  const entries: string[] = [];
  const problems: string[] = [];
  for (const raw of list.split(',').map((s) => s.trim())) {
    if (raw === '') continue;
    const entry = parseEntry(raw);
    if (typeof entry === 'string') {
      problems.push(entry);
      continue;
    }
    blocks.addSubnet(entry.address, entry.prefix, entry.family);
    entries.push(`${entry.address}/${entry.prefix}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (entries.length === 0) return { ok: false, problems: ['must list at least one address or CIDR range, such as 127.0.0.1'] };
  return {
    ok: true,
    proxies: {
      entries,
      contains(address) {
        const ip = canonicalIp(address);
        return ip !== undefined && blocks.check(ip, ipFamily(ip));
      },
    },
  };
}

interface Entry {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** One entry, or why it is not one. */
function parseEntry(raw: string): Entry | string {
  const slash = raw.indexOf('/');
  const addressText = slash === -1 ? raw : raw.slice(0, slash);
  const prefixText = slash === -1 ? undefined : raw.slice(slash + 1);
  const address = canonicalIp(addressText);
  if (address === undefined) return `"${raw}" is not an IP address or CIDR range (such as 10.0.0.0/8 or ::1/128)`;
  // An IPv4-mapped entry was written as IPv6: its prefix counts the 96 bits in front.
  const mappedOffset = ipFamily(address) === 'ipv4' && addressText.includes(':') ? 96 : 0;
  const bits = ipFamily(address) === 'ipv4' ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: bits, family: ipFamily(address) };
  if (!/^\d{1,3}$/.test(prefixText)) return `"${raw}" has a prefix length that is not a number`;
  const prefix = Number(prefixText) - mappedOffset;
  if (prefix < 0 || prefix > bits) return `"${raw}" has a prefix length out of range (${mappedOffset} to ${bits + mappedOffset})`;
  return { address, prefix, family: ipFamily(address) };
}
