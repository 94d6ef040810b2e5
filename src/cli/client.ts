import { clientAdd } from './client-add.js';
import { clientList } from './client-list.js';
import { clientRemove } from './client-remove.js';
import { clientSign } from './client-sign.js';
import type { Command } from './io.js';
import { runSubcommand, type Subcommand } from './subcommands.js';

const SUBCOMMANDS: Record<string, Subcommand> = {
  add: clientAdd,
  sign: clientSign,
  list: clientList,
  remove: clientRemove,
};

/** `tokengate client ...`: servers that call with tokens they sign themselves (`Authorization: JWT`). */
export const clientCommand: Command = {
  usage: 'tokengate client add|sign|list|remove ...',
  summary: 'register servers that call with their own signed tokens (Authorization: JWT), or sign such a token',
  details: [
    'tokengate client add NAME PUBLIC_KEY_FILE [--force]',
    '    check a public key (PEM "PUBLIC KEY" or JWK: RSA of 2048 bits or more, P-256 or Ed25519)',
    '    and write it to CLIENTS_DIR/NAME.pem or NAME.jwk.json (mode 0600); print the file.',
    '    A private key is refused. --force replaces the key of a client already registered.',
    'tokengate client sign --key PRIVATE_KEY_FILE --name NAME',
    '    print a fresh header value, JWT <token> (the time now, a random nonce), on the client:',
    '    curl -H "Authorization: $(tokengate client sign --key k.pem --name NAME)" https://...',
    '    Each value is good once, within CLIENT_TOKEN_WINDOW_S of the time it was made.',
    'tokengate client list',
    '    one line per client: name, algorithm, key fingerprint, file.',
    'tokengate client remove NAME',
    "    delete the client's key; signers refuse its tokens once they reload.",
    '',
    'NAME is 1 to 64 letters, digits, "_", "-" or "." and does not start with "."; it is what',
    'the app receives in X-Auth-Sub, with X-Auth-Kind: client.',
  ],
  run: (args, io) => runSubcommand('client', SUBCOMMANDS, args, io),
};
