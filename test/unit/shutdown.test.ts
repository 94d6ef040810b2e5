import type { AddressInfo } from 'node:net';
import { request, Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeOnSignals, listen } from '../../src/server/listen.js';
import { silentLogger } from '../fixtures/signer.js';

/** A GET over `agent`, resolving with status, the Connection header and body. */
function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  const agents: Agent[] = [];
  afterEach(() => {
    for (const a of agents.splice(0)) a.destroy();
  });

  /** A server whose /slow answers after `ms`, and its shutdown with a recorded exit. */
  async function serve(timeoutMs: number, slowMs: number) {
    const server = await listen(
      (req, res) => {
        const answer = () => res.end(`done ${req.url}`);
        if (req.url === '/slow') setTimeout(answer, slowMs);
        else answer();
      },
      '127.0.0.1',
      0,
    );
    const port = (server.address() as AddressInfo).port;
    const exits: number[] = [];
    const events: string[] = [];
    const shutdown = closeOnSignals([server], silentLogger(), {
      timeoutMs,
      signals: false,
      exit: (code) => exits.push(code),
      onClosed: async () => void events.push('store closed'),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    agents.push(agent);
    return { server, port, shutdown, exits, events, agent };
  }

  it('finishes an in-flight request, refuses new connections, closes the store and exits 0', async () => {
    const { port, shutdown, exits, events, agent } = await serve(5_000, 300);
    const inFlight = get(port, '/slow', agent);
    await new Promise((r) => setTimeout(r, 50));
    const closed = shutdown('SIGTERM');
    const answer = await inFlight;
    expect(answer).toMatchObject({ status: 200, body: 'done /slow' });
    // The listening socket is gone: a new connection is refused, so nginx would try another signer.
    await expect(get(port, '/', new Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await closed;
    expect(events).toEqual(['store closed']);
    expect(exits).toEqual([0]);
  });

  it('closes an idle keepalive connection rather than waiting for its timeout', async () => {
    const { port, shutdown, exits, agent } = await serve(30_000, 0);
    expect((await get(port, '/', agent)).status).toBe(200);
    const started = Date.now();
    await shutdown('SIGTERM');
    expect(exits).toEqual([0]);
    // Bounded well below the 30 s timeout and the 75 s keepalive: nothing waited for either.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('cuts a request that outlives SHUTDOWN_TIMEOUT_MS, and still exits 0', async () => {
    const { port, shutdown, exits, agent } = await serve(200, 60_000);
    const stuck = get(port, '/slow', agent).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    await shutdown('SIGTERM');
    expect(await stuck).toBe('cut');
    expect(exits).toEqual([0]);
  });

  it('shuts down once, however often it is asked', async () => {
    const { shutdown, exits, events } = await serve(1_000, 0);
    await Promise.all([shutdown('SIGTERM'), shutdown('SIGINT'), shutdown('SIGTERM')]);
    expect(exits).toEqual([0]);
    expect(events).toEqual(['store closed']);
  });
});
