import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertAddressesFree, freePort } from '../../scripts/stack/ports.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});
const occupy = async (port: number) => {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
};

describe('assertAddressesFree', () => {
  it('passes when every address can be bound, and leaves them free', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await assertAddressesFree([
      { host: '127.0.0.1', port: a, setting: 'GATEWAY_PORT' },
      { host: '127.0.0.1', port: b, setting: 'SIGNER_PORT' },
    ]);
    await occupy(a);
  });

  it('names every address in use, with its setting, in one error', async () => {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    await occupy(a);
    await occupy(c);
    const check = assertAddressesFree([
      { host: '127.0.0.1', port: a, setting: 'GATEWAY_PORT' },
      { host: '127.0.0.1', port: b, setting: 'SIGNER_PORT' },
      { host: '127.0.0.1', port: c, setting: 'UPSTREAM_URL' },
    ]);
    await expect(check).rejects.toMatchObject({
      code: 'ERR_ADDRESS_UNAVAILABLE',
      message: `127.0.0.1:${a} is already in use (GATEWAY_PORT); 127.0.0.1:${c} is already in use (UPSTREAM_URL)`,
    });
  });

  it('refuses two settings on the same address, a wildcard included', async () => {
    const port = await freePort();
    const check = assertAddressesFree([
      { host: '0.0.0.0', port, setting: 'GATEWAY_PORT' },
      { host: '127.0.0.1', port, setting: 'SIGNER_PORT' },
    ]);
    await expect(check).rejects.toMatchObject({ code: 'ERR_ADDRESS_UNAVAILABLE', message: `GATEWAY_PORT and SIGNER_PORT both use 127.0.0.1:${port}` });
  });
});
