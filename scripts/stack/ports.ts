import { createServer } from 'node:net';

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** An address the stack will listen on, and the setting it comes from (for the error message). */
export interface Bind {
  host: string;
  port: number;
  setting: string;
}

/** Thrown before anything starts when an address the stack needs is taken or unusable. */
export class AddressUnavailableError extends Error {
  override name = 'AddressUnavailableError';
  readonly code = 'ERR_ADDRESS_UNAVAILABLE';
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
/** An IPv6 literal in brackets, as it must be before `:port` (in URLs and nginx's `listen`/`server`). */
export function bracketHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

const show = (b: Bind) => `${bracketHost(b.host)}:${b.port}`;

/**
 * Fails, naming every problem at once, unless each address can be bound now and no two clash.
 * A readiness probe cannot tell our server from one already there, so this runs first.
 */
export async function assertAddressesFree(binds: Bind[]): Promise<void> {
  const problems: string[] = [];
  binds.forEach((b, i) => {
    const clash = binds.slice(0, i).find((o) => o.port === b.port && (o.host === b.host || WILDCARDS.has(o.host) || WILDCARDS.has(b.host)));
    if (clash) problems.push(`${clash.setting} and ${b.setting} both use ${show(b)}`);
  });
  for (const b of binds) {
    const code = await bindError(b.host, b.port);
    if (code === 'EADDRINUSE') problems.push(`${show(b)} is already in use (${b.setting})`);
    else if (code === 'EADDRNOTAVAIL') problems.push(`${b.host} is not an address of this machine (${b.setting})`);
    else if (code === 'EACCES') problems.push(`no permission to listen on ${show(b)} (${b.setting})`);
    else if (code) problems.push(`cannot listen on ${show(b)}: ${code} (${b.setting})`);
  }
  if (problems.length > 0) throw new AddressUnavailableError(problems.join('; '));
}

/** The error code of listening on host:port, or undefined when it works (the socket is closed again). */
export function bindError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}
