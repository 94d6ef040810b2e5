import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { createTokenVerifier } from '../tokens/verify.js';
import { typFits } from '../tokens/types.js';
import { parseCommand } from './args.js';
import { formatDuration } from './duration.js';
import { EXIT, failure, note, type CliIo, type Command } from './io.js';
import { cliConfig, openCliKeys } from './load-keys.js';
import { tokenArgument } from './token-input.js';
import { explainReason } from './verify-reasons.js';

const NAME = 'verify';

/** `tokengate verify`: the signer's own verification of a token, with the reason in plain words when it fails. */
export const verifyCommand: Command = {
  usage: 'tokengate verify <token>|-',
  summary: 'verify a token as the signer does and print its header and claims, or say exactly why it fails',
  details: [
    '-   read the token from stdin, which keeps it out of shell history and ps',
    'A "Bearer " prefix is fine. An access token is expected, a refresh token when its typ says so.',
    "Revocation is not checked: it lives in the signer's store.",
  ],
  run: verify,
};

async function verify(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: true }, 1);
  if (!parsed) return EXIT.usage;
  const input = await tokenArgument(NAME, io, parsed.positionals[0]);
  if (!input.ok) return input.status;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const keys = await openCliKeys(NAME, io, config);
  if (!keys) return EXIT.failed;
  const { header, payload } = peek(input.token);
  const kind = typFits('refresh', header?.typ) ? 'refresh' : 'access';
  const check = createTokenVerifier({ keys: () => keys, kind, issuer: config.ISSUER, audience: config.AUDIENCE, clockSkewSeconds: config.CLOCK_SKEW_S });
  const result = await check(input.token);
  const nowSeconds = Date.now() / 1000;
  if (!result.ok) {
    return failure(
      io,
      NAME,
      `invalid (${result.reason}): ${explainReason(result.reason, { token: input.token, header, payload, config, source: keys.source, nowSeconds })}`,
    );
  }
  io.out.write(`${JSON.stringify({ header, claims: result.claims }, null, 2)}\n`);
  // The verifier pinned the algorithm to the key the kid chose, so the header's alg and kid are the key's.
  const by = header?.kid === undefined ? `the secret (${header?.alg})` : `kid ${header.kid} (${header.alg})`;
  const left = result.claims.exp - nowSeconds;
  const expiry = left >= 0 ? `expires in ${formatDuration(left)}` : `expired ${formatDuration(-left)} ago, still within CLOCK_SKEW_S (${config.CLOCK_SKEW_S}s)`;
  note(io, NAME, `valid ${kind} token: signed by ${by}, ${expiry}; revocation is not checked (it lives in the signer's store)`);
  return EXIT.ok;
}

/** The header and claims before verification, only to choose the token kind and to explain a refusal. */
function peek(token: string): { header: ProtectedHeaderParameters | undefined; payload: JWTPayload | undefined } {
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  return { header: attempt(() => decodeProtectedHeader(token)), payload: attempt(() => decodeJwt(token)) };
}
