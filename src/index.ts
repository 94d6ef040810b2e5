import { createApp } from './app.js';
import { serve } from './server/serve.js';

await serve({
  name: 'signer',
  build: createApp,
  address: (config) => ({ host: config.SIGNER_HOST, port: config.SIGNER_PORT }),
});
