import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Duplex } from 'node:stream';
import { createServer, STATUS_CODES } from 'node:http';
import { GatewayError, toHttp, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Longer than nginx's upstream `keepalive_timeout` (60 s), so nginx never reuses a socket Node just closed. */
const KEEP_ALIVE_MS = 75_000;
/**
 * Above what nginx lets through (4 × 8 KiB by default), so a request nginx accepted is never
 * refused by the signer for its header size (auth_request would turn that into a 5xx).
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Starts an HTTP server with timeouts suited to sitting behind nginx; rejects on bind errors. */
export function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  // requireHostHeader off: the embedded front checks Host itself, as nginx does, with a JSON 400
  // (Node's own is bare); nginx always sends the signer one.
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: KEEP_ALIVE_MS, maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false },
    handler,
  );
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);
  // An Expect other than 100-continue: nginx ignores it (and clears it on the way to the app);
  // Node would answer 417 before the handler. Handled as any request instead.
  server.on('checkExpectation', handler);
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
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  // The request was handed over before its body failed to parse (a Transfer-Encoding Node cannot
  // read, already refused by the front): an answer is under way, and a second would follow it.
  if ((socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage) return void socket.destroy();
  endWithError(socket, err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'invalid_request');
}

/**
 * CONNECT is never served. Node hands it to this event, never to the handler, and without a
 * listener drops the connection unanswered; nginx answers 405, or 400 to a target that is not a
 * path (its request-line parser refuses `host:port`), both in JSON.
 */
function refuseConnect(req: IncomingMessage, socket: Duplex): void {
  // Node takes its own error listener off a socket it hands to 'connect': without one, a client
  // that resets before the answer is written (EPIPE, ECONNRESET) would end the process.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) return void socket.destroy();
  endWithError(socket, req.url?.startsWith('/') ? 'method_not_allowed' : 'invalid_request', ['Cache-Control: no-store']);
}

/** Writes a code's JSON answer straight to the socket (there is no response object yet), then closes it. */
function endWithError(socket: Duplex, code: ErrorCode, headers: string[] = []): void {
  const { status, body } = toHttp(new GatewayError(code));
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json',
    ...headers,
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}

export interface ShutdownOptions {
  /** How long in-flight requests may take (SHUTDOWN_TIMEOUT_MS); then their connections are cut. */
  timeoutMs: number;
  /** Runs once the servers are closed (the store's connections); bounded by `timeoutMs` too. */
  onClosed?: () => Promise<void>;
  /** Tests replace the exit, and call the returned function instead of sending signals. */
  exit?: (code: number) => void;
  signals?: boolean;
}

/**
 * Graceful stop on SIGTERM or SIGINT (or when the stack runner goes away):
 *  1. stop accepting: a new connection is refused at once, so nginx tries the next signer;
 *  2. every answer from now on says `Connection: close`, so a keepalive connection nginx holds
 *     ends right after the request it is carrying; idle ones are closed now;
 *  3. in-flight requests finish, for at most `timeoutMs`, then the rest are cut;
 *  4. the store is closed, and the process exits 0.
 * Returns the shutdown function (tests call it directly).
 */
export function closeOnSignals(servers: Server[], logger: Logger, opts: ShutdownOptions): (signal: NodeJS.Signals) => Promise<void> {
  let closing: Promise<void> | undefined;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const shutdown = (signal: NodeJS.Signals) => {
    closing ??= (async () => {
      const started = Date.now();
      logger.info({ signal, timeoutMs: opts.timeoutMs }, 'shutting down: finishing in-flight requests');
      for (const s of servers) {
        s.prependListener('request', (_req, res: ServerResponse) => res.setHeader('Connection', 'close'));
      }
      const force = setTimeout(() => {
        logger.warn('shutdown timeout reached: closing the connections still open');
        for (const s of servers) s.closeAllConnections();
      }, opts.timeoutMs);
      force.unref();
      // close() ends idle connections once; one that finishes its last answer later goes idle
      // too (an answer that began before the signal has no `Connection: close`), so keep sweeping.
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 100);
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      clearInterval(sweep);
      clearTimeout(force);
      const left = Math.max(opts.timeoutMs - (Date.now() - started), 1_000);
      await Promise.race([opts.onClosed?.().catch((err: unknown) => logger.warn({ err: (err as Error).name }, 'closing the store failed')), sleep(left)]);
      logger.info({ ms: Date.now() - started }, 'shut down');
      exit(0);
    })();
    return closing;
  };
  if (opts.signals === false) return shutdown;
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  // Started with an IPC channel (by the stack runner): when the runner dies, so do we, at once.
  // Not through the graceful path: our stdout went to the runner, and a log line written to it
  // now can block for good (the synchronous writer retries EAGAIN forever), leaving a process behind.
  if (process.connected) process.once('disconnect', () => exit(0));
  return shutdown;
}

/**
 * Until the server listens (opening the store may wait up to twice REDIS_TIMEOUT_MS for Redis),
 * SIGTERM or SIGINT simply exits 0: there is nothing in flight to finish. Returns the function
 * that removes these handlers, to call before `closeOnSignals`.
 */
export function exitOnSignalsWhileStarting(): () => void {
  const exit = () => process.exit(0);
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
  return () => {
    process.off('SIGTERM', exit);
    process.off('SIGINT', exit);
  };
}

/** A bind failure explained in words, for the start-up error line. */
export function bindErrorText(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `${host}:${port} is already in use`;
  if (code === 'EACCES') return `no permission to listen on ${host}:${port}`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine`;
  return `cannot listen on ${host}:${port} (${code ?? 'unexpected error'})`;
}
