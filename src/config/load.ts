import { z } from 'zod';
import { variables, type VariableName, type Variables } from './variables.js';

/** The parsed configuration: one field per environment variable. */
export type Config = { [K in VariableName]: z.output<Variables[K]['schema']> };

export interface ConfigProblem {
  variable: VariableName;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

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
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: config as Config };
}

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
  if (config.SIGNER_WORKERS !== undefined && config.SIGNER_WORKERS > 1 && 'REDIS_URL' in config && config.REDIS_URL === undefined) {
    problems.push({
      variable: 'SIGNER_WORKERS',
      message: `${config.SIGNER_WORKERS} worker processes share sessions, revocations and login-failure counts only through Redis: set REDIS_URL, or SIGNER_WORKERS=1`,
    });
  }
  return problems;
}

/** One line per problem, naming the variable: what a person reads before exit code 2. */
export function formatProblems(problems: ConfigProblem[]): string {
  return ['tokengate: invalid configuration:', ...problems.map((p) => `  - ${p.variable}: ${p.message}`)].join('\n');
}

/** Parses or exits the process with status 2 after printing every problem. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  const result = parseConfig(env);
  if (result.ok) return result.config;
  process.stderr.write(`${formatProblems(result.problems)}\n`);
  process.exit(2);
}
