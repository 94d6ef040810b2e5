import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertAddressesFree, freePort } from '../../scripts/stack/ports.js';
import { testPortList, testPorts } from '../fixtures/ports.js';

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

describe('the test port allocator', () => {
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

  it('hands out ports below the ephemeral range, never the same one twice, and skips taken ones', async () => {
    const ports = await testPortList(40);
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) expect(p).toBeLessThan(ephemeralStart);
    const first = await testPorts(3);
    await occupy(first + 4);
    const next = await testPorts(3);
    for (const p of [next, next + 1, next + 2]) expect([first, first + 1, first + 2, first + 4]).not.toContain(p);
  });

  it('gives consecutive ports that can all be bound', async () => {
    const first = await testPorts(3);
    for (const p of [first, first + 1, first + 2]) await occupy(p);
  });
});
