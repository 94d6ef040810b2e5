import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseTrustedProxies } from '../http/trusted-proxies.js';
import { parseClaimHeaders } from '../auth/claim-headers.js';
import { KEY_ALGS } from '../signing-keys/algorithms.js';
import { parseNodes } from '../store/redis-target.js';

/** One environment variable: how to parse it, its default (as the string one would set) and a line of doc. */
export interface Variable<T> {
  doc: string;
  default?: string;
  /** Never echo the value back (in errors, docs or logs). */
  secret?: boolean;
  schema: z.ZodType<T, string | undefined>;
}

function variable<T>(v: Variable<T>): Variable<T> {
  return v;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const port = int(1, 65535);

const bool = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/** An origin only (scheme, host, port): where the gateway is reached from browsers. */
const origin = z
  .string()
  .refine((s) => URL.canParse(s), 'must be a URL such as https://gateway.example.com')
  .transform((s) => new URL(s))
  .refine((u) => u.protocol === 'https:' || u.protocol === 'http:', 'must be an http:// or https:// origin')
  .refine(
    (u) => u.username === '' && u.password === '' && u.pathname === '/' && u.search === '' && u.hash === '',
    'must be an origin only: no path, query, fragment or user name',
  )
  .transform((u) => u.origin);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

const host = z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or an IP address');

/** A comma-separated list of addresses and CIDR ranges, every bad entry reported by its text. */
const trustedProxies = z.string().transform((list, ctx) => {
  const parsed = parseTrustedProxies(list);
  if (parsed.ok) return parsed.proxies;
  for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

/** `host:port,...` of the sentinels, every bad entry reported by its text. */
const sentinelList = z.string().transform((list, ctx) => {
  const parsed = parseNodes(list);
  if (parsed.ok) return parsed.nodes;
  for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

/** A Redis ACL user name or password: printable, no spaces (they would not survive a config file or a URL unquoted). */
const redisCredential = z
  .string()
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** `claim:X-Auth-Name,...`, every bad entry reported by its text. */
const claimHeaders = z.string().transform((list, ctx) => {
  const parsed = parseClaimHeaders(list);
  if (parsed.ok) return parsed.headers;
  for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

/** Every environment variable tokengate reads, in the order docs/reference/configuration.md lists them. */
export const variables = {
  SIGNER_HOST: variable({ doc: 'Address the signer listens on. Keep it private: only nginx talks to it.', default: '127.0.0.1', schema: host }),
  SIGNER_PORT: variable({ doc: 'Port the signer listens on.', default: '9000', schema: port }),
  SIGNER_WORKERS: variable({
    doc: 'Signer processes on this machine, all on `SIGNER_HOST`:`SIGNER_PORT` (node `cluster`): 1 to 64, or `auto` for one per CPU. Above 1 they share sessions, revocations and login-failure counts through Redis, so `REDIS_URL` or `REDIS_SENTINELS` is required (`npm start` runs a private redis-server when neither is set); `GET /metrics` adds up every worker, and SIGHUP and SIGTERM reach them all. The embedded front runs as many.',
    default: '1',
    schema: z
      .string()
      .regex(/^(?:auto|\d+)$/, 'must be auto or a whole number between 1 and 64')
      .transform((s) => (s === 'auto' ? Math.min(availableParallelism(), 64) : Number(s)))
      .pipe(z.number().int().min(1, 'must be at least 1').max(64, 'must be at most 64')),
  }),
  AUTHENTICATE_URL: variable({
    doc: "The protected application's internal endpoint that checks a username and password.",
    default: 'http://127.0.0.1:5000/authenticate',
    schema: httpUrl,
  }),
  AUTHENTICATE_TIMEOUT_MS: variable({
    doc: 'How long a login waits for the authenticate endpoint (headers and body) before answering 504.',
    default: '5000',
    schema: int(100, 60000),
  }),
  TOKEN_TTL_S: variable({ doc: 'Lifetime of an access token (and of the access cookie), in seconds.', default: '900', schema: int(1, 86400) }),
  REFRESH_TTL_S: variable({
    doc: 'Lifetime of a refresh token, in seconds. Each use rotates it and starts a new lifetime, never past the session end.',
    default: '604800',
    schema: int(60, 31536000),
  }),
  SESSION_MAX_AGE_S: variable({
    doc: 'Absolute lifetime of a login session, in seconds. Refreshing cannot extend it; after it the user signs in again.',
    default: '2592000',
    schema: int(60, 31536000),
  }),
  REFRESH_GRACE_S: variable({
    doc: 'A refresh token presented again within this many seconds of its rotation (a browser loading several resources at once) is let through without new tokens and without revoking the session. `0` treats every second use as theft.',
    default: '10',
    schema: int(0, 60),
  }),
  PUBLIC_ORIGIN: variable({
    doc: 'The origin browsers reach the gateway at. Redirects (`Location`) are built from it, never from `Host`; `return_to` must stay on it; form posts must come from it.',
    default: 'http://127.0.0.1:8080',
    schema: origin,
  }),
  COOKIE_SECURE: variable({
    doc: 'Session cookies carry `Secure` and the `__Host-` prefix. `false` only for a plain-http demo on a non-loopback address (logged as a warning).',
    default: 'true',
    schema: bool,
  }),
  ISSUER: variable({ doc: 'The `iss` claim put into tokens and required when verifying.', default: 'tokengate', schema: z.string().min(1).max(256) }),
  AUDIENCE: variable({
    doc: 'When set, the `aud` claim put into tokens and required when verifying.',
    schema: z.string().min(1).max(256).optional(),
  }),
  CLOCK_SKEW_S: variable({ doc: 'Leeway for `exp`, `nbf` and `iat` checks, in seconds.', default: '30', schema: int(0, 300) }),
  VERIFY_CACHE_SIZE: variable({
    doc: "How many verified access tokens each signer remembers (least recently used go first), so a token's signature is checked once, not on every request. Revocation is still checked on every request, and an entry never outlives the token's `exp` or a key reload. Tokens longer than 2048 characters are not kept. 0 turns it off.",
    default: '10000',
    schema: int(0, 1_000_000),
  }),
  AUTH_CACHE_TTL_S: variable({
    doc: 'nginx only, off by default: lets nginx keep a successful check for up to this many seconds (never past the token\'s `exp`), keyed on the credential, method and URI, so most requests skip the signer. The cost: a logout, a revocation, a retired key or a policy change takes up to this long to bite at nginx. Never for answers that set cookies (a refresh) or for server-to-server tokens. 0 (off) or 2 to 3600: nginx counts whole seconds. See docs/nginx-integration.md, "The hot path, and the auth cache".',
    default: '0',
    schema: int(0, 3600).refine((s) => s !== 1, 'must be 0 (off) or at least 2: nginx counts whole seconds, so 1 would keep nothing'),
  }),
  IDENTITY_CACHE_TTL_S: variable({
    doc: "OpenResty front only: how long nginx may answer a credential the signer passed from its own cache of verified identities, without asking again (never past the token's `exp`; only passes decided by an access token alone). Logouts and revocations still reach that cache within a second through the revocation feed (`GET /revocations`), and a worker that has not heard from the feed for 3 s stops using it. 0 turns the cache off. See docs/fronts.md.",
    default: '300',
    schema: int(0, 3600),
  }),
  CLAIM_HEADERS: variable({
    doc: 'Claims the app receives as headers of their own, besides `X-Auth-Sub`, `X-Auth-Roles` and `X-Auth-Claims`: `claim:X-Auth-Name` pairs, comma-separated (e.g. `email:X-Auth-Email,tenant:X-Auth-Tenant`). A value that is not printable ASCII (control characters, CR, LF, non-ASCII) is never written: the request is refused with 401. nginx needs the matching lines: `tokengate nginx-claims`.',
    default: '',
    schema: claimHeaders,
  }),
  JWT_SECRET: variable({
    doc: 'The secret itself (at least 32 bytes). Prefer `JWT_SECRET_FILE`. It signs tokens under `HS256` while there is no key ring, and the signer derives its other keys from it (CSRF tokens, store key names, session seals), so every instance needs the same one whatever `JWT_ALG` is.',
    secret: true,
    schema: z
      .string()
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes long')
      .optional(),
  }),
  JWT_SECRET_FILE: variable({
    doc: 'File holding the signing secret. Created with 32 random bytes (mode 0600) on first start when absent and `JWT_SECRET` is unset.',
    default: 'secrets/jwt-secret',
    schema: z.string().min(1),
  }),
  JWT_ALG: variable({
    doc: 'Algorithm of new signing keys: `HS256`, `RS256`, `ES256` or `EdDSA` (Ed25519). With `HS256` and no key ring in `KEYS_DIR`, the secret itself signs (tokens without `kid`). With another one, the first start generates a key ring (mode 0600) when there is none. Tokens without `kid` verify with the secret only under `HS256`.',
    default: 'HS256',
    schema: z.enum(KEY_ALGS, { error: `must be one of ${KEY_ALGS.join(', ')}` }),
  }),
  KEYS_DIR: variable({
    doc: 'The key ring: one `<kid>.jwk.json` per key and an `active` file naming the signing key; every key in it verifies. Managed with `tokengate keygen`, `rotate` and `retire`; every signer instance must see the same directory.',
    default: 'secrets/keys',
    schema: z.string().min(1),
  }),
  KEYS_CHECK_INTERVAL_S: variable({
    doc: 'How often the signer looks for changes in `KEYS_DIR` and `CLIENTS_DIR` and reloads the key ring or the clients, in seconds (`0`: only on SIGHUP). A directory that fails to load is logged and what was loaded before is kept.',
    default: '5',
    schema: int(0, 3600),
  }),
  JWKS_MAX_AGE_S: variable({
    doc: '`Cache-Control: max-age` of `/.well-known/jwks.json`, in seconds. Services that verify with the JWKS may see a new key this late, so `tokengate rotate --wait` should be at least this.',
    default: '300',
    schema: int(0, 86400),
  }),
  CLIENTS_DIR: variable({
    doc: 'Servers allowed to call with their own signed tokens (`Authorization: JWT`): one public key per client, `<name>.pem` (SPKI) or `<name>.jwk.json`; the key type fixes the algorithm (RSA: `RS256`, P-256: `ES256`, Ed25519: `EdDSA`). Managed with `tokengate client add` and `remove`. Absent: no clients.',
    default: 'secrets/clients',
    schema: z.string().min(1),
  }),
  CLIENT_TOKEN_WINDOW_S: variable({
    doc: "A client token is accepted only while its `time` (or `iat`) is within this many seconds of the signer's clock, either way; each nonce is remembered for twice as long, in the store, so it is used once.",
    default: '20',
    schema: int(1, 300),
  }),
  POLICY_FILE: variable({
    doc: 'The authorization policy (YAML or JSON): which paths and methods need which roles or claims, which are public ([policy](../policy.md)). Checked at start (a bad file exits 2) and reloaded on a change or SIGHUP (a bad edit is logged and the previous policy kept). Unset: every path needs a valid identity, nothing more.',
    schema: z.string().min(1).optional(),
  }),
  POLICY_CHECK_INTERVAL_S: variable({
    doc: 'How often the signer looks for changes in `POLICY_FILE` and reloads it, in seconds (`0`: only on SIGHUP).',
    default: '5',
    schema: int(0, 3600),
  }),
  ADMIN_ROLE: variable({
    doc: "The role (in the token's `roles`) that opens the admin page (`/tokengate/admin`: see a user's sessions, end one or all) through the gateway. To give the page to no one, name a role no one holds (an empty value means the default, as for every variable). The admin API on the signer's own port (`/admin/v1/...`, used by `tokengate sessions`) takes a credential derived from the signing secret instead, never a user's token. See docs/admin-page.md and docs/sessions-admin.md.",
    default: 'admin',
    schema: z
      .string()
      .max(64)
      .regex(/^[\x21-\x2b\x2d-\x7e]*$/, 'a role is printable ASCII without spaces or commas'),
  }),
  LOG_LEVEL: variable({
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }),
  STRICT_CONFIG: variable({
    doc: 'A variable that looks like one of these but is not (`REDIS_FAIL_OPEN` for `STORE_FAIL_OPEN`, `jwt_alg` for `JWT_ALG`, any `TOKENGATE_*`) has no effect: at start it is logged as a warning naming the setting probably meant, and `tokengate check-config` lists it. `true` makes it a configuration problem instead (exit 2). Its value is never shown.',
    default: 'false',
    schema: bool,
  }),
  REDIS_URL: variable({
    doc: "When set, sessions, revocations and login-failure counters live in this Redis (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS), shared by every signer instance. Unset: in the signer's memory, for one instance only. Never logged (it may hold a password).",
    secret: true,
    schema: z
      .string()
      .refine((s) => URL.canParse(s) && /^rediss?:$/.test(new URL(s).protocol), 'must be a redis:// or rediss:// URL')
      .optional(),
  }),
  REDIS_SENTINELS: variable({
    doc: 'Instead of `REDIS_URL` (never both): the Redis Sentinels to ask where the master is, `host:port` comma-separated (three or more, on separate machines). The store, the login counters, the client nonces and the revocation feed then follow a failover by themselves: a lost connection, or a sentinel naming another master, makes each connection ask the sentinels again and move to the master they name (checked with `ROLE`). See docs/high-availability.md.',
    schema: sentinelList.optional(),
  }),
  REDIS_SENTINEL_MASTER: variable({
    doc: 'With `REDIS_SENTINELS` (and required by it): the name the sentinels monitor the master under (`sentinel monitor <name> ...`).',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits or . _ -')
      .optional(),
  }),
  REDIS_SENTINEL_USERNAME: variable({
    doc: 'With `REDIS_SENTINELS`: the ACL user to authenticate to the sentinels as (with `REDIS_SENTINEL_PASSWORD`). Unset: `default`.',
    schema: redisCredential.optional(),
  }),
  REDIS_SENTINEL_PASSWORD: variable({
    doc: "With `REDIS_SENTINELS`: the sentinels' password (their `requirepass`, or the ACL user's). Unset: the sentinels ask for none. Never logged.",
    secret: true,
    schema: redisCredential.optional(),
  }),
  REDIS_USERNAME: variable({
    doc: 'With `REDIS_SENTINELS`: the ACL user to authenticate to the master and replicas as (with `REDIS_PASSWORD`). With `REDIS_URL`, put it in the URL instead.',
    schema: redisCredential.optional(),
  }),
  REDIS_PASSWORD: variable({
    doc: "With `REDIS_SENTINELS`: the password of the master and replicas (`requirepass`, or the ACL user's). With `REDIS_URL`, put it in the URL instead. Never logged.",
    secret: true,
    schema: redisCredential.optional(),
  }),
  REDIS_SENTINEL_TLS: variable({
    doc: "With `REDIS_SENTINELS`: talk TLS to the sentinels and to the master they name (certificates checked against Node's CAs; add yours with `NODE_EXTRA_CA_CERTS`). With `REDIS_URL`, use `rediss://` instead.",
    default: 'false',
    schema: bool,
  }),
  KEY_PREFIX: variable({
    doc: 'Prefix of every Redis key tokengate writes, so several gateways (or other apps) can share one Redis.',
    default: 'tokengate:',
    schema: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1 to 64 letters, digits or : . _ -'),
  }),
  REDIS_TIMEOUT_MS: variable({
    doc: 'How long one Redis command (or a connection attempt) may take before the store counts as unavailable.',
    default: '1000',
    schema: int(50, 30000),
  }),
  REDIS_WAIT_REPLICAS: variable({
    doc: 'How many replicas must have every store write (a session, a refresh rotation or reuse detection, a logout or revocation, a client nonce) before it is answered as done: the signer sends `WAIT` after each one, so a failover to a replica that has it loses nothing acknowledged. `auto`: 1 with `REDIS_SENTINELS`, 0 with `REDIS_URL` (no `WAIT`). Login-failure counters are never waited for.',
    default: 'auto',
    schema: z
      .string()
      .regex(/^(?:auto|\d+)$/, 'must be auto or a whole number between 0 and 16')
      .transform((s) => (s === 'auto' ? undefined : Number(s)))
      .pipe(z.number().int().min(0, 'must be at least 0').max(16, 'must be at most 16').optional()),
  }),
  REDIS_WAIT_MS: variable({
    doc: "`WAIT`'s timeout: how long the replicas have to acknowledge the writes before it. One `WAIT` is out per connection at a time and covers every write sent before it, so a write may wait up to twice this, on top of `REDIS_TIMEOUT_MS`.",
    default: '500',
    schema: int(10, 10000),
  }),
  REDIS_WAIT_UNMET: variable({
    doc: "What a write that fewer than `REDIS_WAIT_REPLICAS` replicas acknowledged in `REDIS_WAIT_MS` becomes. `fail`: the request answers `503` with `Retry-After` (a new session, a rotation and a nonce are undone on the master; a logout or revocation stays in force there and in every signer's copy, as it only refuses more), so nothing answered as done can be lost in a failover, and writes stop while no replica answers: run two replicas. `accept`: answered as done all the same (logged): writes go on, and what no replica had is lost if the master dies before one catches up.",
    default: 'fail',
    schema: z.enum(['fail', 'accept'], { error: 'must be fail or accept' }),
  }),
  STORE_FAIL_OPEN: variable({
    doc: 'With Redis unreachable for longer than `STORE_MAX_STALE_S`, `false` refuses what needs the store with `503`; `true` lets revocation checks pass on the last known revocation list for as long as it lasts (logged as a warning). Logins, refreshes and logouts need the store either way.',
    default: 'false',
    schema: bool,
  }),
  STORE_MAX_STALE_S: variable({
    doc: "With Redis, how long after its copy of the revocation list lost touch with Redis (a failover, a restart) a signer still answers revocation checks from it, so `/verify` keeps passing valid tokens; then it fails closed (`503`). While no master takes writes nobody can revoke anything, and every signer applies its own logouts at once, so what it can miss is a revocation another signer wrote to a Redis this one cannot reach. `0`: fail closed at once. Keep it above the sentinels' `down-after-milliseconds` plus the promotion (2 s or so). See docs/high-availability.md.",
    default: '10',
    schema: int(0, 300),
  }),
  LOGIN_WINDOW_S: variable({
    doc: 'The window failed logins are counted in, in seconds.',
    default: '900',
    schema: int(1, 86400),
  }),
  LOGIN_MAX_FAILURES_PER_USER: variable({
    doc: 'Failed logins allowed per username and client address in `LOGIN_WINDOW_S`; past it, `429` with `Retry-After` without asking the app. A successful login clears the count.',
    default: '5',
    schema: int(1, 100000),
  }),
  LOGIN_MAX_FAILURES_PER_ADDRESS: variable({
    doc: 'Failed logins allowed per client address (any username) in `LOGIN_WINDOW_S`; past it, `429` with `Retry-After`.',
    default: '50',
    schema: int(1, 1000000),
  }),
  TRUSTED_PROXIES: variable({
    doc: 'Comma-separated addresses or CIDR ranges whose `X-Real-IP` header names the client (nginx sets it). From any other peer the header is ignored; `X-Forwarded-For` is never read.',
    default: '127.0.0.0/8,::1/128',
    schema: trustedProxies,
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    doc: 'On SIGTERM or SIGINT, how long in-flight requests may take to finish before the signer closes their connections and exits.',
    default: '10000',
    schema: int(0, 600000),
  }),
  UPSTREAM_URL: variable({ doc: 'Base URL of the protected application that requests are proxied to.', default: 'http://127.0.0.1:5000', schema: httpUrl }),
  GATEWAY_HOST: variable({ doc: 'Address the front door (nginx, or the embedded front) listens on.', default: '127.0.0.1', schema: host }),
  GATEWAY_PORT: variable({ doc: 'Port the front door listens on.', default: '8080', schema: port }),
  FRONT: variable({
    doc: '`npm start` only: `nginx` (the stock template), `openresty` (nginx with the Lua module and the identity cache: `npm run install-deps -- --with-openresty`), `embedded`, or `auto` (nginx when installed, else the embedded Node front; never `openresty` by itself).',
    default: 'auto',
    schema: z.enum(['auto', 'nginx', 'openresty', 'embedded']),
  }),
  SIGNER_INSTANCES: variable({
    doc: '`npm start` only: how many signer processes to run behind nginx, on `SIGNER_PORT`, `SIGNER_PORT`+1, ... They share `REDIS_URL` or `REDIS_SENTINELS`; when neither is set, `npm start` runs a private, throw-away redis-server for them (installed by `npm run install-deps`).',
    default: '1',
    schema: int(1, 16),
  }),
  RUN_DIR: variable({
    doc: '`npm start` only: where logs go, and the private nginx prefix (as root, that prefix is a 0755 temp dir instead, so nginx workers running as nobody can reach it).',
    default: '.run',
    schema: z.string().min(1),
  }),
  LOG_FORMAT: variable({
    doc: "`npm start` only: how it prints its processes' log lines. `pretty`: one short line each (time, level, process, message, the main fields), for a person; `json`: each process's own line after its name (the signer's JSON); `auto`: pretty on a terminal, json when piped or redirected. The log files in `RUN_DIR` always hold the processes' own lines, and neither format prints a credential (fields named like one, and a `jwt=` query value in nginx's lines, are masked) or a control character.",
    default: 'auto',
    schema: z.enum(['auto', 'json', 'pretty']),
  }),
  NGINX_BIN: variable({ doc: '`npm start` only: the nginx binary. Default: `nginx` on `PATH`, then `/usr/sbin/nginx`.', schema: z.string().min(1).optional() }),
} as const;

export type Variables = typeof variables;
export type VariableName = keyof Variables;
