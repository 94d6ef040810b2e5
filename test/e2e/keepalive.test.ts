import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONTS, frontAvailable, launch, login, type TestStack } from './harness.js';

/** GET `url` through `agent`; the answer's Connection header and whether the socket was a reused one. */
function get(url: string, agent: Agent, token: string): Promise<{ status: number; connection: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(FRONTS)('client connections through the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  beforeAll(async () => {
    if (available) stack = await launch(front);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it.skipIf(!available)('are kept alive across protected requests (no Connection: close), as a benchmark or a busy client needs', async () => {
    const token = await login(stack.url, 'alice', 'wonderland');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await get(`${stack.url}/api/whoami`, agent, token));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(answers.map((a) => a.connection)).not.toContain('close');
      expect(answers.map((a) => a.reused)).toEqual([false, true, true]);
    } finally {
      agent.destroy();
    }
  });
});
