import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { ClientAlg } from './key-type.js';

const generate = promisify(generateKeyPair);

let decoys: Promise<Record<ClientAlg, KeyObject>> | undefined;

/**
 * One public key per algorithm whose private half is dropped at once, so no one can sign for it.
 * A token that names an unknown client (or its key's wrong algorithm) is checked against one of
 * these: it always fails, after the same work as a real check, so timing does not tell an unknown
 * client from a bad signature. Made once per process, in the background from the first call.
 */
export function decoyKeys(): Promise<Record<ClientAlg, KeyObject>> {
  decoys ??= (async () => {
    const [rsa, ec, ed] = await Promise.all([generate('rsa', { modulusLength: 2048 }), generate('ec', { namedCurve: 'P-256' }), generate('ed25519')]);
    return { RS256: rsa.publicKey, ES256: ec.publicKey, EdDSA: ed.publicKey };
  })();
  // Made ahead of any request: a failure surfaces in the request that awaits it, never as an unhandled rejection.
  decoys.catch(() => undefined);
  return decoys;
}
