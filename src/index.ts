// First, alone: a SIGHUP while the rest loads must not kill the signer (see hold-sighup.ts).
import './server/hold-sighup.js';

const [{ createApp }, { serve }] = await Promise.all([import('./app.js'), import('./server/serve.js')]);
await serve({
  name: 'signer',
  build: createApp,
  address: (config) => ({ host: config.SIGNER_HOST, port: config.SIGNER_PORT }),
  // With SIGNER_WORKERS above 1, a scrape answers for every worker (see cluster-worker-metrics.ts).
  metricsPath: '/metrics',
});
