import { createTokenIssuer, TokenTooLargeError, type IssuedToken } from '../tokens/sign.js';
import { MAX_MINTED_TTL_S } from '../tokens/limits.js';
import { parseCommand } from './args.js';
import { formatDuration, formatInstant, parseDuration } from './duration.js';
import { EXIT, note, usageError, type CliIo, type Command } from './io.js';
import { cliConfig, openCliKeys } from './load-keys.js';
import { mintClaims } from './mint-claims.js';

const NAME = 'mint';
/** A minted token is a bearer credential no logout can end: a month is the longest that makes sense. */
const MAX_TTL_S = MAX_MINTED_TTL_S;

/** `tokengate mint`: an access token signed as the signer would sign it now, for scripts and tests. */
export const mintCommand: Command = {
  usage: 'tokengate mint --sub SUB [--roles a,b] [--ttl 1h] [--claim name=value]...',
  summary: 'sign an access token with the signing key of the moment (ring or secret) and print it',
  details: [
    '--sub SUB            the user (printable ASCII, no surrounding spaces)',
    '--roles a,b          comma-separated roles (printable ASCII, no spaces)',
    '--ttl DURATION       90, 90s, 15m, 1h or 2d, at most 30d (default: TOKEN_TTL_S)',
    "--claim name=value   an extra string claim; repeat it for more. The gateway's own claims",
    '                     (iss, aud, exp, iat, nbf, jti, sid) and sub and roles are refused.',
    'ISSUER and AUDIENCE come from the configuration, as for the signer.',
  ],
  run: mint,
};

async function mint(args: string[], io: CliIo): Promise<number> {
  const options = { sub: { type: 'string' }, roles: { type: 'string' }, ttl: { type: 'string' }, claim: { type: 'string', multiple: true } } as const;
  const parsed = parseCommand(NAME, io, { args, options, strict: true, allowPositionals: false });
  if (!parsed) return EXIT.usage;
  const built = mintClaims(parsed.values);
  if (!built.ok) return usageError(io, NAME, built.reason);
  const ttl = parsed.values.ttl === undefined ? undefined : parseDuration(parsed.values.ttl, 1, MAX_TTL_S);
  if (ttl && !ttl.ok) return usageError(io, NAME, `--ttl ${ttl.reason}`);
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const keys = await openCliKeys(NAME, io, config);
  if (!keys) return EXIT.failed;
  const issue = createTokenIssuer({ keys: () => keys, issuer: config.ISSUER, audience: config.AUDIENCE, ttlSeconds: ttl?.seconds ?? config.TOKEN_TTL_S });
  let issued: IssuedToken;
  try {
    issued = await issue(built.claims);
  } catch (err) {
    if (!(err instanceof TokenTooLargeError)) throw err;
    return usageError(io, NAME, `${err.message}: give fewer or shorter claims`);
  }
  io.out.write(`${issued.token}\n`);
  const { alg, kid } = keys.signer;
  const by = kid === undefined ? `the secret (${alg}, no kid)` : `kid ${kid} (${alg})`;
  note(
    io,
    NAME,
    `signed an access token for ${JSON.stringify(built.claims.sub)} with ${by}, jti ${issued.jti}, expires ${formatInstant(issued.expiresAt)} (in ${formatDuration(issued.expiresIn)}); it belongs to no login session`,
  );
  return EXIT.ok;
}
