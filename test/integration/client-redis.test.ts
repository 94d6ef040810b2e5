import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { testConfig } from '../fixtures/config.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { nowS, prefix, useRedisStores, withRaw } from '../fixtures/redis-stores.js';
import { silentLogger, useTestKey } from '../fixtures/signer.js';

// Two signer instances on one real Redis: a client's nonce is claimed once across both.

const REDIS = redisAvailable();
const billing = clientKeyPair('ES256');
const REGISTRY = registryOf({ billing });
const PARALLEL = 20;

describe.runIf(REDIS)('client tokens with several signer instances on Redis', () => {
  const redis = useTestRedis();
  const key = useTestKey();
  const { redisStore } = useRedisStores();

  /** Two signers sharing one prefix, as instances of one gateway do. */
  async function twoSigners() {
    const keyPrefix = prefix();
    const make = async () =>
      createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate' }), {
        logger: silentLogger(),
        key: key(),
        store: await redisStore(redis().url, { keyPrefix }),
        clients: () => REGISTRY,
      });
    return [await make(), await make()] as const;
  }
  const verify = (app: Parameters<typeof request>[0], header: string) => request(app).get('/verify').set('Authorization', header);

  it('refuses on the second instance a token the first accepted', async () => {
    const [a, b] = await twoSigners();
    const header = `JWT ${await clientToken(billing, clientClaims('billing', nowS()))}`;
    expect((await verify(a, header)).status).toBe(204);
    const replay = await verify(b, header);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toBe('JWT realm="tokengate", error="invalid_token"');
  });

  it(`lets exactly one of ${PARALLEL} parallel requests through, split across both instances`, async () => {
    const [a, b] = await twoSigners();
    const header = `JWT ${await clientToken(billing, clientClaims('billing', nowS()))}`;
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => verify(i % 2 === 0 ? a : b, header)));
    expect(answers.map((r) => r.status).filter((s) => s === 204)).toHaveLength(1);
  });

  it('keeps the nonce in Redis under KEY_PREFIX with a TTL of three windows (the clocks of two signers may differ by one), holding no token', async () => {
    const keyPrefix = prefix();
    const store = await redisStore(redis().url, { keyPrefix });
    const app = createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate', CLIENT_TOKEN_WINDOW_S: '30' }), {
      logger: silentLogger(),
      key: key(),
      store,
      clients: () => REGISTRY,
    });
    const claims = clientClaims('billing', nowS());
    expect((await verify(app, `JWT ${await clientToken(billing, claims)}`)).status).toBe(204);
    await withRaw(redis().url, async (raw) => {
      const name = `${keyPrefix}nonce:billing:${String(claims.nonce)}`;
      expect(await raw.keys(`${keyPrefix}*`)).toEqual([name]);
      expect(await raw.get(name)).toBe('1');
      expect(await raw.ttl(name)).toBeGreaterThan(85);
      expect(await raw.ttl(name)).toBeLessThanOrEqual(91);
    });
  });
});
