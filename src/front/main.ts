import { serve } from '../server/serve.js';
import { createEmbeddedFront } from './embedded.js';

await serve({
  name: 'embedded front',
  build: createEmbeddedFront,
  address: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT }),
  describe: (config) => ({ upstream: config.UPSTREAM_URL }),
});
