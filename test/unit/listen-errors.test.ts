import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server/listen.js';
import { testPort } from '../fixtures/ports.js';

/** Sends raw bytes and reads everything until the server closes the connection. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.end(request, 'latin1');
  });
}

const wire = (statusLine: string, headers: string[], body: string) =>
  `HTTP/1.1 ${statusLine}\r\n${[...headers, `Content-Length: ${body.length}`, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`;

// The answers Node's server gives before a handler runs, which listen() writes by hand to the
// socket: pinned to the byte, as they were before the error registry wrote them.
describe("the server's answers before the handler", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = await listen((_req, res) => res.end('handled'), '127.0.0.1', await testPort());
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a header Node cannot parse with 400 invalid_request in JSON', async () => {
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n');
    expect(answer).toBe(wire('400 Bad Request', ['Content-Type: application/json'], '{"error":"invalid_request","message":"The request is not valid."}'));
  });

  it('answers headers over 64 KiB with 431 headers_too_large in JSON', async () => {
    const answer = await raw(port, `GET / HTTP/1.1\r\nHost: t\r\nX-Huge: ${'a'.repeat(65 * 1024)}\r\n\r\n`);
    expect(answer).toBe(
      wire(
        '431 Request Header Fields Too Large',
        ['Content-Type: application/json'],
        '{"error":"headers_too_large","message":"The request headers are too large."}',
      ),
    );
  });

  it.each([
    [
      'a path',
      'CONNECT /x HTTP/1.1\r\nHost: t\r\n\r\n',
      '405 Method Not Allowed',
      '{"error":"method_not_allowed","message":"This method is not allowed here."}',
    ],
    ['host:port', 'CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n', '400 Bad Request', '{"error":"invalid_request","message":"The request is not valid."}'],
  ])('refuses CONNECT to %s in JSON, as nginx does', async (_case, request, statusLine, body) => {
    expect(await raw(port, request)).toBe(wire(statusLine, ['Content-Type: application/json', 'Cache-Control: no-store'], body));
  });
  it('survives clients that reset a CONNECT before its answer is written, and still serves', async () => {
    // Without an error listener on the socket, one such reset ended the process (ECONNRESET on write).
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('CONNECT /x HTTP/1.1\r\nHost: t\r\n\r\n', () => {
            socket.resetAndDestroy();
            resolve();
          });
        });
        socket.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')).toContain('handled');
  });
});
