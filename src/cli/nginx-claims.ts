import { nginxClaimLines } from '../auth/claim-headers.js';
import { parseCommand } from './args.js';
import { EXIT, note, type CliIo, type Command } from './io.js';
import { cliConfig } from './load-keys.js';

const NAME = 'nginx-claims';

/** `tokengate nginx-claims`: the nginx lines that pass CLAIM_HEADERS on to the app. */
export const nginxClaimsCommand: Command = {
  usage: 'tokengate nginx-claims',
  summary: 'print the nginx lines that pass each CLAIM_HEADERS header to the app (for tokengate-claims.conf)',
  details: [
    'Write them beside the rendered tokengate.conf, which includes tokengate-claims*.conf:',
    '  tokengate nginx-claims > /etc/nginx/tokengate-claims.conf && nginx -s reload',
    'npm start writes this file itself.',
  ],
  run: nginxClaims,
};

function nginxClaims(args: string[], io: CliIo): number {
  if (!parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: false })) return EXIT.usage;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  io.out.write(nginxClaimLines(config.CLAIM_HEADERS));
  if (config.CLAIM_HEADERS.length === 0) note(io, NAME, 'CLAIM_HEADERS is empty: there is nothing to pass on');
  return EXIT.ok;
}
