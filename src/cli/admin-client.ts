import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { userInfo } from 'node:os';
import { adminKeyFor, signAdminToken } from '../admin/admin-credential.js';
import type { Config } from '../config/load.js';
import { SecretError } from '../secret/load-secret.js';
import { EXIT, failure, usageError, type CliIo } from './io.js';
import { cliConfig, readExistingSecret } from './load-keys.js';

/** Every call to the admin API ends within this, answered or not. */
export const ADMIN_CALL_TIMEOUT_MS = 5_000;
/** An answer is a user's sessions (at most 100): far less than this. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** What the admin API answered: the status and the parsed JSON body; or why there is no answer. */
export type AdminAnswer = { ok: true; status: number; body: unknown } | { ok: false; reason: string };

/** Calls the admin API of one signer, each call with a fresh credential. */
export interface AdminClient {
  /** The signer's base URL, for messages. */
  base: string;
  call(method: 'GET' | 'DELETE', path: string): Promise<AdminAnswer>;
}

/**
 * The signer's base URL from `--signer` (http or https, no credentials, query or fragment; a path
 * prefix is kept), or the reason it cannot be one.
 */
export function parseSignerUrl(value: string): { ok: true; base: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: '--signer must be a URL such as http://127.0.0.1:9000' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: '--signer must be an http:// or https:// URL' };
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    return { ok: false, reason: '--signer takes no credentials, query or fragment' };
  return { ok: true, base: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Where the signer of this configuration is reached from its own machine: SIGNER_HOST:SIGNER_PORT, loopback for a wildcard address. */
export function defaultSignerUrl(config: Pick<Config, 'SIGNER_HOST' | 'SIGNER_PORT'>): string {
  const host = config.SIGNER_HOST.replace(/^\[(.*)\]$/, '$1');
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${config.SIGNER_PORT}`;
}

/** Who the signer's audit log names as the caller: `cli:` and this machine's user name. */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = '';
  }
  const printable = name.replace(/[^\x21-\x7e]/g, '').slice(0, 60);
  return `cli:${printable || 'unknown'}`;
}

/**
 * A client for the signer's admin API, with the key the signer derives from the same secret
 * (JWT_SECRET_FILE or JWT_SECRET, read as the signer reads it and never created); or the exit
 * status after saying why there can be none.
 */
export async function openAdminClient(name: string, io: CliIo, signer: string | undefined): Promise<AdminClient | number> {
  const given = signer === undefined ? undefined : parseSignerUrl(signer);
  if (given && !given.ok) return usageError(io, name, given.reason);
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  let secret: Uint8Array;
  try {
    const loaded = await readExistingSecret(config);
    if (loaded === 'missing') {
      return failure(
        io,
        name,
        `JWT_SECRET_FILE ${config.JWT_SECRET_FILE} does not exist: run this with the signer's environment (its JWT_SECRET_FILE or JWT_SECRET), where the signer runs`,
      );
    }
    secret = loaded.secret;
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    return failure(io, name, err.message);
  }
  const key = adminKeyFor(secret);
  const actor = cliActor();
  const base = given?.base ?? defaultSignerUrl(config);
  return {
    base,
    async call(method, path) {
      const url = new URL(`${base}${path}`);
      // Bound to this request as it goes on the wire, and used once.
      const token = await signAdminToken(key, actor, { method, path: url.pathname + url.search });
      let answer: { status: number; text: string };
      try {
        answer = await send(url, method, { Authorization: `Bearer ${token}`, Accept: 'application/json' });
      } catch (err) {
        return { ok: false, reason: unreachable(err, base) };
      }
      try {
        return { ok: true, status: answer.status, body: JSON.parse(answer.text) as unknown };
      } catch {
        return {
          ok: false,
          reason: `${base} answered ${answer.status} without JSON: is it the signer's own address (SIGNER_HOST:SIGNER_PORT), not the gateway's?`,
        };
      }
    },
  };
}

class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
}

/**
 * One request with node:http (fetch refuses ports such as 6000 or 10080, which a SIGNER_PORT may
 * be), the whole exchange bounded by ADMIN_CALL_TIMEOUT_MS and the answer by MAX_ANSWER_BYTES.
 */
function send(url: URL, method: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method, headers, signal: AbortSignal.timeout(ADMIN_CALL_TIMEOUT_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) return void req.destroy(new AnswerTooLargeError());
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Why a call got no answer, in words; never the request's headers (they hold the credential). */
function unreachable(err: unknown, base: string): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return `the signer at ${base} did not answer within ${ADMIN_CALL_TIMEOUT_MS / 1000} s`;
  if (err instanceof AnswerTooLargeError) return `${base} answered with more than ${MAX_ANSWER_BYTES} bytes`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = 'is the signer (or the embedded front) running, and are SIGNER_HOST and SIGNER_PORT the ones it listens on? (or give --signer URL)';
  if (code === 'ECONNREFUSED') return `cannot reach the signer at ${base} (connection refused): ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the signer's host in ${base}`;
  return `cannot reach the signer at ${base} (${typeof code === 'string' ? code : 'network error'}): ${where}`;
}
