import { editDistance } from './edit-distance.js';
import { variables, type VariableName } from './variables.js';

/** A variable in the environment that looks like one of tokengate's but is not, and the one probably meant. */
export interface UnknownVariable {
  variable: string;
  suggestion?: VariableName;
}

const KNOWN = Object.keys(variables) as VariableName[];
const KNOWN_SET = new Set<string>(KNOWN);

/**
 * Prefixes that, in practice, only tokengate's settings start with: `TOKENGATE_` and the distinctive
 * first words of its own names. Left out because ordinary environments hold other software's names
 * that start so: `SESSION_` (X11's SESSION_MANAGER), `LOG_`, `NODE_`, `NGINX_` (the nginx image's
 * NGINX_VERSION, NGINX_ENVSUBST_*), `PUBLIC_` (PUBLIC_URL), `TOKEN_`, `KEY_`, `RUN_`, `CLOCK_`,
 * `CLIENT_` alone (an OAuth app's CLIENT_ID, CLIENT_SECRET) and `AUTH_` alone. A typo in one of
 * those names is still caught by its edit distance.
 */
export const PREFIXES = [
  'TOKENGATE_',
  'SIGNER_',
  'AUTHENTICATE_',
  'REFRESH_',
  'COOKIE_',
  'VERIFY_',
  'AUTH_CACHE_',
  'CLAIM_',
  'JWT_',
  'JWKS_',
  'KEYS_',
  'CLIENTS_',
  'CLIENT_TOKEN_',
  'POLICY_',
  'REDIS_',
  'STORE_',
  'LOGIN_',
  'TRUSTED_',
  'SHUTDOWN_',
  'UPSTREAM_',
  'GATEWAY_',
] as const;

/**
 * The one list of names that look like tokengate's but are read outside the schema, by tokengate,
 * its tools and tests, or by software it runs beside; they are never reported. A name added to the
 * code elsewhere belongs here too (test/unit/unknown-variables.test.ts checks the ones it can import).
 */
export const READ_ELSEWHERE: ReadonlySet<string> = new Set([
  // Set by the cluster primary in the environment of the workers it forks (src/server/cluster-worker.ts).
  'TOKENGATE_CLUSTER_WORKER',
  // The tests' shared test data (test/fixtures/shared-testdata.ts), CI mode and browser.
  'TOKENGATE_TESTDATA_DIR',
  'CI',
  'CHROMIUM_BIN',
  // The benchmark's CPU profiles (bench/).
  'TG_BENCH_PROF_DIR',
  // The nginx template's own variables, filled in by the nginx image (docker-compose.yml).
  'SIGNER_ADDR',
  'UPSTREAM_ADDR',
  // The demo app (upstream-example/config.ts), started beside the signer by npm start and compose.
  'EXAMPLE_HOST',
  'EXAMPLE_PORT',
  'USERS_FILE',
  // CGI's: a Node process started by a CGI-speaking parent inherits it.
  'GATEWAY_INTERFACE',
]);

/**
 * Kubernetes gives every pod `<SERVICE>_SERVICE_HOST`, `<SERVICE>_SERVICE_PORT[_<NAME>]`,
 * `<SERVICE>_PORT` and `<SERVICE>_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO]` for each service in its
 * namespace (docker's legacy links do the same), and services called redis, signer or gateway are
 * likely beside a gateway: none of those is a misspelt setting.
 */
const SERVICE_LINK = /^([A-Z0-9_]+?)_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT_\d+_(?:TCP|UDP|SCTP)(?:_ADDR|_PORT|_PROTO)?)$/;

function isServiceLink(name: string, env: Record<string, string | undefined>): boolean {
  if (SERVICE_LINK.test(name)) return true;
  // `<SERVICE>_PORT` alone only beside the others, as REDIS_PORT may well be a misspelt setting.
  const service = /^([A-Z0-9_]+)_PORT$/.exec(name)?.[1];
  return service !== undefined && (`${service}_SERVICE_HOST` in env || Object.keys(env).some((n) => n.startsWith(`${service}_PORT_`) && SERVICE_LINK.test(n)));
}

/**
 * The variables of `env` that look like tokengate's but are not among `variables`: those with one of
 * its prefixes, and those a typo away from one of its names (any case), each with the name probably meant.
 */
export function findUnknownVariables(env: Record<string, string | undefined>): UnknownVariable[] {
  const found: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    // Empty counts as unset, as it does for tokengate's own variables.
    if (env[name] === undefined || env[name] === '' || KNOWN_SET.has(name) || READ_ELSEWHERE.has(name) || isServiceLink(name, env)) continue;
    const upper = name.toUpperCase();
    const near = nearestByDistance(upper);
    if (near === undefined && !PREFIXES.some((p) => upper.startsWith(p))) continue;
    const suggestion = near === undefined ? bySharedWords(upper) : near.suggestion;
    found.push(suggestion === undefined ? { variable: name } : { variable: name, suggestion });
  }
  return found;
}

/** How far a typo may go: two edits for a name of 8 or more characters, one for a shorter one. */
const reach = (known: string) => (known.length >= 8 ? 2 : 1);

/**
 * The known names within reach of `name` (or of `name` without `TOKENGATE_`, as some namespace their
 * settings); undefined when none is. Its suggestion is the nearest, or none when several are as near.
 */
function nearestByDistance(name: string): { suggestion?: VariableName } | undefined {
  const forms = name.startsWith('TOKENGATE_') ? [name, name.slice('TOKENGATE_'.length)] : [name];
  let best = Infinity;
  let nearest: VariableName[] = [];
  for (const known of KNOWN) {
    const d = Math.min(...forms.map((form) => editDistance(form, known)));
    if (d > reach(known) || d > best) continue;
    if (d < best) [best, nearest] = [d, []];
    nearest.push(known);
  }
  if (nearest.length === 0) return undefined;
  return nearest.length === 1 ? { suggestion: nearest[0]! } : {};
}

/** Words that say only the unit: sharing `S` says nothing about which setting was meant. */
const UNIT_WORDS = new Set(['S', 'MS']);

/**
 * The known name sharing the most `_`-separated words with `name`, then the longest common suffix
 * of words (REDIS_FAIL_OPEN → STORE_FAIL_OPEN); none when no word but a unit is shared, or on a tie.
 */
function bySharedWords(name: string): VariableName | undefined {
  const words = name.split('_').filter((w) => w !== '');
  let best = { shared: 0, suffix: 0 };
  let winners: VariableName[] = [];
  for (const known of KNOWN) {
    const theirs = known.split('_');
    const shared = words.filter((w) => !UNIT_WORDS.has(w) && theirs.includes(w)).length;
    let suffix = 0;
    while (suffix < Math.min(words.length, theirs.length) && words[words.length - 1 - suffix] === theirs[theirs.length - 1 - suffix]) suffix++;
    if (shared === 0) continue;
    const order = shared - best.shared || suffix - best.suffix;
    if (order < 0) continue;
    if (order > 0) [best, winners] = [{ shared, suffix }, []];
    winners.push(known);
  }
  return winners.length === 1 ? winners[0] : undefined;
}
