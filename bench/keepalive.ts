import { Agent, request } from 'node:http';

/**
 * Whether the setup keeps a client connection open after an answer. One that answers
 * `Connection: close` makes the load generator reconnect for every request, which the
 * table must say, since its numbers then measure something else than the others'.
 */
export function keepsAlive(url: string, headers: Record<string, string>): Promise<boolean> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<boolean>((resolve, reject) => {
    const req = request(url, { agent, headers, timeout: 5_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.headers.connection?.toLowerCase() !== 'close'));
    });
    req.once('timeout', () => req.destroy(new Error(`${url} did not answer within 5 s`)));
    req.once('error', reject);
    req.end();
  }).finally(() => agent.destroy());
}
