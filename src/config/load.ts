import type { z } from 'zod';
import { findUnknownVariables, type UnknownVariable } from './unknown-variables.js';
import { variables, type VariableName, type Variables } from './variables.js';
import { EXIT } from '../exit.js';

/** The parsed configuration: one field per environment variable. */
export type Config = { [K in VariableName]: z.output<Variables[K]['schema']> };

export interface ConfigProblem {
  /** One of `variables`, or, under STRICT_CONFIG, an unknown one. */
  variable: string;
  message: string;
}

/** A variable that looks like tokengate's but is not one (see `findUnknownVariables`); never its value. */
export type ConfigWarning = UnknownVariable & { message: string };

/** `warnings` are the unknown variables STRICT_CONFIG=false lets through (with it true they are problems). */
export type ConfigResult = { ok: true; config: Config; warnings: ConfigWarning[] } | { ok: false; problems: ConfigProblem[]; warnings: ConfigWarning[] };

/** Parses every variable at once and collects every problem; empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const problems: ConfigProblem[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(variables) as [VariableName, Variables[VariableName]][]) {
    const raw = env[name] === '' ? undefined : env[name];
    const input = raw ?? spec.default;
    const result = spec.schema.safeParse(input);
    if (result.success) {
      config[name] = result.data;
      continue;
    }
    const reason = result.error.issues.map((i) => i.message).join('; ');
    const shown = raw !== undefined && !('secret' in spec && spec.secret) ? ` (got ${JSON.stringify(raw)})` : '';
    problems.push({ variable: name, message: `${reason}${shown}` });
  }
  problems.push(...crossChecks(config as Partial<Config>));
  // A STRICT_CONFIG that does not parse is a problem of its own; the unknown ones are then only warned about.
  const strict = config.STRICT_CONFIG === true;
  const unknown = findUnknownVariables(env);
  if (strict)
    problems.push(
      ...unknown.map((u) => ({ variable: u.variable, message: `not a tokengate variable (STRICT_CONFIG=true refuses unknown ones)${didYouMean(u)}` })),
    );
  const warnings = strict ? [] : unknown.map((u) => ({ ...u, message: `not a tokengate variable, so it has no effect${didYouMean(u)}` }));
  return problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, config: config as Config, warnings };
}

const didYouMean = (u: UnknownVariable) => (u.suggestion === undefined ? '' : `; did you mean ${u.suggestion}?`);

/** Loopback hosts, where browsers accept `Secure` cookies over plain http. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Rules between variables: settings that parse alone but cannot work together. */
function crossChecks(config: Partial<Config>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Each rule runs when its own variables parsed, so it is reported along with the others.
  const origin = config.PUBLIC_ORIGIN === undefined ? undefined : new URL(config.PUBLIC_ORIGIN);
  if (origin && config.COOKIE_SECURE && origin.protocol === 'http:' && !LOOPBACK.test(origin.hostname)) {
    problems.push({
      variable: 'COOKIE_SECURE',
      message: `browsers drop Secure cookies sent over plain http to ${origin.host}; serve PUBLIC_ORIGIN over https, or set COOKIE_SECURE=false for a local demo`,
    });
  }
  // The memory store is per process: several workers would each keep their own revocations.
  if (
    config.SIGNER_WORKERS !== undefined &&
    config.SIGNER_WORKERS > 1 &&
    'REDIS_URL' in config &&
    config.REDIS_URL === undefined &&
    'REDIS_SENTINELS' in config &&
    config.REDIS_SENTINELS === undefined
  ) {
    problems.push({
      variable: 'SIGNER_WORKERS',
      message: `${config.SIGNER_WORKERS} worker processes share sessions, revocations and login-failure counts only through Redis: set REDIS_URL (or REDIS_SENTINELS), or SIGNER_WORKERS=1`,
    });
  }
  problems.push(...sentinelChecks(config));
  return problems;
}

/** REDIS_URL or REDIS_SENTINELS, never both, and the Sentinel settings only beside REDIS_SENTINELS. */
function sentinelChecks(config: Partial<Config>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sentinels = config.REDIS_SENTINELS !== undefined;
  if (sentinels && config.REDIS_URL !== undefined) {
    problems.push({ variable: 'REDIS_SENTINELS', message: 'set REDIS_URL (one Redis server) or REDIS_SENTINELS (a master the sentinels name), not both' });
  }
  if (sentinels && 'REDIS_SENTINEL_MASTER' in config && config.REDIS_SENTINEL_MASTER === undefined) {
    problems.push({ variable: 'REDIS_SENTINEL_MASTER', message: 'is required with REDIS_SENTINELS: the name the sentinels monitor the master under' });
  }
  const onlyWithSentinels = ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_USERNAME', 'REDIS_PASSWORD'] as const;
  if (!sentinels && 'REDIS_SENTINELS' in config) {
    const inUrl = config.REDIS_URL !== undefined ? ' (with REDIS_URL, put the user name and password in the URL)' : '';
    for (const name of onlyWithSentinels) {
      if (config[name] !== undefined)
        problems.push({ variable: name, message: `is only used with REDIS_SENTINELS, which is not set${name.startsWith('REDIS_SENTINEL') ? '' : inUrl}` });
    }
    if (config.REDIS_SENTINEL_TLS === true)
      problems.push({
        variable: 'REDIS_SENTINEL_TLS',
        message: `is only used with REDIS_SENTINELS, which is not set${config.REDIS_URL !== undefined ? ' (with REDIS_URL, use rediss://)' : ''}`,
      });
  }
  for (const [user, password] of [
    ['REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'],
    ['REDIS_USERNAME', 'REDIS_PASSWORD'],
  ] as const) {
    if (config[user] !== undefined && password in config && config[password] === undefined)
      problems.push({ variable: user, message: `needs ${password}: Redis authenticates a user name only with its password` });
  }
  return problems;
}

/** One line per problem, naming the variable: what a person reads before exit code 2. */
export function formatProblems(problems: ConfigProblem[]): string {
  return ['tokengate: invalid configuration:', ...problems.map((p) => `  - ${p.variable}: ${p.message}`)].join('\n');
}

/** One line per unknown variable, for stderr where there is no logger: the name and the one meant, never the value. */
export function formatWarnings(warnings: ConfigWarning[]): string {
  return warnings.map((w) => `tokengate: warning: ${w.variable}: ${w.message}`).join('\n');
}

/** Parses or exits the process with status 2 after printing every problem (and the unknown variables, a likely cause). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  return loadConfigWithWarningsOrExit(env).config;
}

/** As `loadConfigOrExit`, also returning the unknown variables for the caller to log once it has a logger. */
export function loadConfigWithWarningsOrExit(env: Record<string, string | undefined> = process.env): { config: Config; warnings: ConfigWarning[] } {
  const result = parseConfig(env);
  if (result.ok) return result;
  process.stderr.write(`${[formatProblems(result.problems), formatWarnings(result.warnings)].filter((t) => t !== '').join('\n')}\n`);
  process.exit(EXIT.usage);
}
