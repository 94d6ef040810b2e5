import { isIP } from 'node:net';

/** One Redis or Sentinel server's address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** A user name and password for Redis's AUTH (the user name is optional: `default`). */
export interface RedisAuth {
  username?: string | undefined;
  password: string;
}

/**
 * The Redis Sentinel deployment the store follows (REDIS_SENTINELS and the variables beside it):
 * the sentinels to ask, the name they monitor the master under, and the credentials and TLS of
 * the sentinels and of the data nodes (master and replicas), which may differ.
 */
export interface SentinelTarget {
  sentinels: RedisNode[];
  masterName: string;
  sentinelAuth?: RedisAuth | undefined;
  nodeAuth?: RedisAuth | undefined;
  /** TLS to the sentinels and to the master they name (Node's CAs; NODE_EXTRA_CA_CERTS adds one). */
  tls: boolean;
}

/** The parsed list, or every problem with it. */
export type ParsedNodes = { ok: true; nodes: RedisNode[] } | { ok: false; problems: string[] };

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses `host:port,host:port` (an IPv6 host in brackets: `[::1]:26379`). Every bad entry is
 * reported by its text; the same address twice is a problem too (a sentinel counted twice would
 * only hide that one is missing).
 */
export function parseNodes(list: string): ParsedNodes {
  const nodes: RedisNode[] = [];
  const problems: string[] = [];
  for (const raw of list.split(',').map((s) => s.trim())) {
    if (raw === '') continue;
    const node = parseNode(raw);
    if (typeof node === 'string') problems.push(node);
    else if (nodes.some((n) => n.host === node.host && n.port === node.port)) problems.push(`${raw} is listed twice`);
    else nodes.push(node);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (nodes.length === 0) return { ok: false, problems: ['must list at least one sentinel as host:port, such as 10.0.0.5:26379'] };
  return { ok: true, nodes };
}

function parseNode(raw: string): RedisNode | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  if (!match) return `${raw} is not host:port (an IPv6 address goes in brackets: [::1]:26379)`;
  const [, v6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `${raw}: the port must be between 1 and 65535`;
  if (v6 !== undefined) return isIP(v6) === 6 ? { host: v6, port } : `${raw}: ${v6} is not an IPv6 address`;
  if (isIP(name) === 4 || HOST_NAME.test(name)) return { host: name, port };
  return `${raw}: ${name} is not a host name or an IPv4 address`;
}

/** `host:port`, an IPv6 host in brackets: for logs and banners. */
export const showNode = (node: RedisNode): string => (node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`);
