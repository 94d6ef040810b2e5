// First, alone: a SIGHUP while the rest loads must not kill the front (see hold-sighup.ts).
import '../server/hold-sighup.js';

const [{ serve }, { createEmbeddedFront }, { createCore }, { createAdminApp }] = await Promise.all([
  import('../server/serve.js'),
  import('./embedded.js'),
  import('../core.js'),
  import('./admin-app.js'),
]);
await serve({
  name: 'embedded front',
  // There is no signer process: the admin API (`tokengate sessions`) listens where one would,
  // over the front's own parts, so it sees and ends the very sessions the front checks.
  build: (config, deps) => {
    const core = createCore(config, deps);
    return {
      handler: createEmbeddedFront(config, deps, core),
      side: [{ name: 'admin API', handler: createAdminApp(core), host: config.SIGNER_HOST, port: config.SIGNER_PORT }],
    };
  },
  address: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT }),
  describe: (config) => ({ upstream: config.UPSTREAM_URL }),
});
