import { createServer } from 'node:http';
import { createUpstreamApp } from './app.js';
import { exampleConfig } from './config.js';
import { readUsers } from './users.js';
import { EXIT } from '../src/exit.js';

const parsed = exampleConfig.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) process.stderr.write(`upstream-example: ${issue.path.join('.')}: ${issue.message}\n`);
  process.exit(EXIT.usage);
}
const config = parsed.data;

const users = await readUsers(config.USERS_FILE).catch((err: unknown) => {
  process.stderr.write(`upstream-example: cannot load ${config.USERS_FILE}: ${(err as Error).message}\n`);
  process.exit(EXIT.usage);
});

const server = createServer({ keepAliveTimeout: 75_000, headersTimeout: 20_000, requestTimeout: 30_000, maxHeaderSize: 64 * 1024 }, createUpstreamApp(users));
server.on('error', (err) => {
  process.stderr.write(`upstream-example: cannot listen on ${config.EXAMPLE_HOST}:${config.EXAMPLE_PORT}: ${(err as NodeJS.ErrnoException).code}\n`);
  process.exit(1);
});
server.listen(config.EXAMPLE_PORT, config.EXAMPLE_HOST, () => {
  process.stdout.write(`upstream-example listening on http://${config.EXAMPLE_HOST}:${config.EXAMPLE_PORT}\n`);
});
// The demo app stands alone (its image holds upstream-example/ and only the page shell it shares
// with the gateway, src/browser/html.ts and csp.ts), so it keeps its own small shutdown rather
// than importing the signer's.
const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
// Started with an IPC channel (by the stack runner): when the runner dies, so does the app.
if (process.connected) process.once('disconnect', shutdown);
