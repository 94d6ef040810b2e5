import { resolve } from 'node:path';
import { loadConfigOrExit } from '../src/config/load.js';
import { chooseLogFormat, createLineFormatter } from './stack/log-lines.js';
import { findNginx, INSTALL_HINT } from './stack/nginx.js';
import { ROOT } from './stack/paths.js';
import { findRedisServer, REDIS_INSTALL_HINT } from './stack/redis.js';
import { freePort } from './stack/ports.js';
import { startStack, type FrontKind, type Stack } from './stack/stack.js';
import { EXIT } from '../src/exit.js';

/** `npm start`: the demo stack (app, signer, nginx or the embedded front) on the configured ports. */

// Handlers first: Ctrl-C or SIGTERM during start-up must stop the children already started
// (they run in their own process groups, so the terminal's signal does not reach them).
const starting = new AbortController();
let stack: Stack | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping...\n');
  // Still starting: startStack stops what it started and rejects, and the start-up path exits.
  if (!stack) return starting.abort();
  await stack.stop();
  process.stdout.write('stopped.\n');
  // Logs and the nginx prefix (unless run as root) stay in RUN_DIR for a look afterwards.
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// `kill -HUP <npm start's pid>` reloads the key ring of every signer (and of the embedded front).
process.on('SIGHUP', () => {
  for (const p of stack?.processes.values() ?? []) {
    if (!/^(?:signer(?:-\d+)?|front)$/.test(p.name)) continue;
    try {
      process.kill(p.pid, 'SIGHUP');
    } catch {
      // It exited; the exit handler below stops the stack.
    }
  }
});

// With neither REDIS_URL nor REDIS_SENTINELS, the signers get the private redis-server's (see below)
// when they need a shared store: check the configuration as they will see it (SIGNER_WORKERS above
// 1 requires Redis).
const redisGiven = (process.env.REDIS_URL ?? '') !== '' || (process.env.REDIS_SENTINELS ?? '') !== '';
const config = loadConfigOrExit(redisGiven ? process.env : { ...process.env, REDIS_URL: 'redis://127.0.0.1' });
const upstream = new URL(config.UPSTREAM_URL);
if (upstream.protocol !== 'http:' || upstream.pathname !== '/') {
  process.stderr.write('npm start: UPSTREAM_URL must be a plain http://host:port for the demo stack\n');
  process.exit(EXIT.usage);
}

const instances = config.SIGNER_INSTANCES;
// auto never picks the OpenResty front by itself: it is the stock template's behaviour plus a cache
// whose revocations arrive within a second, which an operator chooses (FRONT=openresty).
let front: FrontKind = config.FRONT === 'auto' ? 'nginx' : config.FRONT;
if (config.FRONT === 'auto' && !findNginx(config.NGINX_BIN)) {
  if (instances > 1) {
    process.stderr.write(`npm start: SIGNER_INSTANCES=${instances} needs nginx in front of the signers; ${INSTALL_HINT}\n`);
    process.exit(EXIT.usage);
  }
  front = 'embedded';
  process.stdout.write(`nginx not found: running the embedded Node front instead; for the real thing, ${INSTALL_HINT}.\n`);
}
if (front === 'embedded' && instances > 1) {
  process.stderr.write(`npm start: SIGNER_INSTANCES=${instances} needs FRONT=nginx or openresty: the embedded front is a single process\n`);
  process.exit(EXIT.usage);
}
// Several signers must share their sessions and revocations: the given Redis, or a private one.
const workers = config.SIGNER_WORKERS;
const privateRedis = (instances > 1 || workers > 1) && !redisGiven;
if (privateRedis && !findRedisServer()) {
  const setting = instances > 1 ? `SIGNER_INSTANCES=${instances}` : `SIGNER_WORKERS=${workers}`;
  process.stderr.write(
    `npm start: ${setting} without REDIS_URL or REDIS_SENTINELS runs a private redis-server, which is not installed; ${REDIS_INSTALL_HINT}, or set REDIS_URL\n`,
  );
  process.exit(EXIT.usage);
}

// Readable lines on a terminal, each process's own (JSON) lines when piped, unless LOG_FORMAT says.
const tty = process.stdout.isTTY === true;
const format = createLineFormatter({ format: chooseLogFormat(config.LOG_FORMAT, tty), color: tty && !process.env.NO_COLOR });
const print = (name: string, line: string) => {
  process.stdout.write(`${format(name, line)}\n`);
};

try {
  stack = await startStack({
    front,
    workDir: resolve(ROOT, config.RUN_DIR),
    gateway: { host: config.GATEWAY_HOST, port: config.GATEWAY_PORT },
    signer: { host: config.SIGNER_HOST, port: config.SIGNER_PORT },
    signerInstances: instances,
    ...(privateRedis ? { redis: { port: await freePort() } } : {}),
    upstream: { host: upstream.hostname, port: Number(upstream.port || 80) },
    // PUBLIC_ORIGIN defaults to the front door's address unless set.
    env: {
      JWT_SECRET_FILE: config.JWT_SECRET_FILE,
      KEYS_DIR: config.KEYS_DIR,
      ...(process.env.PUBLIC_ORIGIN ? { PUBLIC_ORIGIN: config.PUBLIC_ORIGIN } : {}),
      // The demo policy unless POLICY_FILE is set (`POLICY_FILE= npm start`: no policy at all).
      ...(process.env.POLICY_FILE !== undefined ? { POLICY_FILE: process.env.POLICY_FILE } : {}),
    },
    inheritEnv: true,
    nginxBin: config.NGINX_BIN,
    onLine: print,
    signal: starting.signal,
  });
} catch (err) {
  if (starting.signal.aborted) {
    process.stdout.write('stopped.\n');
    process.exit(0);
  }
  process.stderr.write(`npm start: ${(err as Error).message}\n`);
  process.exit(1);
}
const running = stack;

const login = `curl -s -X POST ${running.url}/login -H 'content-type: application/json' -d '{"username":"alice","password":"wonderland"}'`;
process.stdout.write(
  [
    '',
    `tokengate is running at ${running.url}  (front: ${frontName(running)})`,
    ...(running.signerUrls.length > 1
      ? [`  signers:    ${running.signerUrls.length} instances (${running.signerUrls.join(', ')}), sharing ${sharedStore(running)}`]
      : []),
    ...(workers > 1
      ? [
          `  workers:    ${workers} processes per ${running.front === 'embedded' ? 'front' : 'signer'}, on one port (SIGNER_WORKERS), sharing ${sharedStore(running)}`,
        ]
      : []),
    '  demo users: alice / wonderland (roles admin,user), bob / builder (role user)',
    `  browser:    open ${running.url}/ and sign in`,
    `  API log in: ${login}`,
    `  then:       curl -s ${running.url}/check -H "Authorization: Bearer <token>"`,
    `  keys:       kill -HUP ${process.pid} reloads every signer's key ring (not npm's pid: npm does not pass SIGHUP on)`,
    `  policy:     ${policyLine(process.env.POLICY_FILE)}`,
    `  sessions:   as alice, open ${running.url}/tokengate/admin to end a user's sessions; or: npx tokengate sessions list bob`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

for (const p of running.processes.values()) {
  void p.exited.then((code) => {
    if (stopping) return;
    process.stderr.write(`${p.name} exited unexpectedly (${String(code)}); stopping the stack\n`);
    void shutdown(1);
  });
}

/** What the start banner says about the store several processes share. */
function sharedStore(stack: Stack): string {
  if (stack.redisUrl) return `a private redis-server at ${stack.redisUrl}`;
  if (config.REDIS_SENTINELS)
    return `the Redis master ${JSON.stringify(config.REDIS_SENTINEL_MASTER)} that ${config.REDIS_SENTINELS.length} sentinel(s) name (REDIS_SENTINELS)`;
  return 'REDIS_URL';
}

/** What the start banner says about POLICY_FILE. */
function policyLine(file: string | undefined): string {
  if (file === '') return 'none (POLICY_FILE is empty): every path needs a valid identity';
  if (file !== undefined) return `${file}; edits apply without a restart`;
  return 'upstream-example/policy.yaml: /admin/** needs the role admin (bob gets 403), /public/** is public; edits apply without a restart';
}

/** The front as the banner names it. */
function frontName(s: Stack): string {
  if (s.front === 'embedded') return 'embedded Node proxy';
  return s.front === 'openresty' ? `OpenResty (nginx ${s.nginxVersion} with Lua, identity cache)` : `nginx ${s.nginxVersion}`;
}
