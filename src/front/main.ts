// First, alone: a SIGHUP while the rest loads must not kill the front (see hold-sighup.ts).
import '../server/hold-sighup.js';

const [{ serve }, { createEmbeddedFront }] = await Promise.all([import('../server/serve.js'), import('./embedded.js')]);
await serve({
  name: 'embedded front',
  build: createEmbeddedFront,
  address: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT }),
  describe: (config) => ({ upstream: config.UPSTREAM_URL }),
});
