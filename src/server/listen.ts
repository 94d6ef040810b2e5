import type { RequestListener, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer } from 'node:http';
import type { Logger } from '../log/logger.js';

/** Longer than nginx's upstream `keepalive_timeout` (60 s), so nginx never reuses a socket Node just closed. */
const KEEP_ALIVE_MS = 75_000;
/**
 * Above what nginx lets through (4 × 8 KiB by default), so a request nginx accepted is never
 * refused by the signer for its header size (auth_request would turn that into a 5xx).
 */
export const MAX_HEADER_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;

/** Starts an HTTP server with timeouts suited to sitting behind nginx; rejects on bind errors. */
export function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: KEEP_ALIVE_MS, maxHeaderSize: MAX_HEADER_BYTES }, handler);
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Node's own parse errors (bad header bytes, oversized headers) get a JSON answer too, then the socket closes. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err.code === 'ECONNRESET')) return void socket.destroy();
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify(tooLarge ? { error: 'headers_too_large', message: 'The request headers are too large.' } : { error: 'invalid_request', message: 'The request is not valid.' });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** On SIGTERM or SIGINT: stop accepting, let in-flight requests finish, then exit. */
export function closeOnSignals(servers: Server[], logger: Logger, onClosed?: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      for (const s of servers) s.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeIdleConnections();
          }),
      ),
    )
      .then(() => onClosed?.())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // Started with an IPC channel (by the stack runner): when the runner dies, so do we.
  if (process.connected) process.once('disconnect', () => shutdown('SIGTERM'));
}

/** A bind failure explained in words, for the start-up error line. */
export function bindErrorText(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `${host}:${port} is already in use`;
  if (code === 'EACCES') return `no permission to listen on ${host}:${port}`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine`;
  return `cannot listen on ${host}:${port} (${code ?? 'unexpected error'})`;
}
