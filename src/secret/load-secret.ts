import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export const MIN_SECRET_BYTES = 32;

/** A problem with the signing secret that must stop the start; the message never holds the secret. */
export class SecretError extends Error {
  override name = 'SecretError';
}

export interface LoadedSecret {
  secret: Uint8Array;
  source: 'env' | 'file' | 'generated';
  /** Set when the file can be read by group or others, as a hint for the operator. */
  looseMode?: number;
}

/** Resolves the HS256 secret: `JWT_SECRET`, else the file, else a new random file (mode 0600). */
export async function loadSecret(opts: { value?: string | undefined; file: string }): Promise<LoadedSecret> {
  if (opts.value !== undefined) return { secret: checked(Buffer.from(opts.value, 'utf8'), 'JWT_SECRET'), source: 'env' };
  const existing = await readSecretFile(opts.file);
  if (existing) return existing;
  if (await createSecretFile(opts.file)) {
    return { ...(await readSecretFileOrFail(opts.file)), source: 'generated' };
  }
  // Another process created it between our read and our create: use theirs.
  return readSecretFileOrFail(opts.file);
}

async function readSecretFileOrFail(file: string): Promise<LoadedSecret> {
  const loaded = await readSecretFile(file);
  if (!loaded) throw new SecretError(`JWT_SECRET_FILE ${file} disappeared while starting`);
  return loaded;
}

async function readSecretFile(file: string): Promise<LoadedSecret | undefined> {
  try {
    const [raw, info] = await Promise.all([readFile(file), stat(file)]);
    // Text files usually end with a newline; it is not part of the secret.
    const secret = checked(trimEnd(raw), `JWT_SECRET_FILE ${file}`);
    const loose = info.mode & 0o077;
    return loose ? { secret, source: 'file', looseMode: info.mode & 0o777 } : { secret, source: 'file' };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    if (err instanceof SecretError) throw err;
    throw new SecretError(`cannot read JWT_SECRET_FILE ${file}: ${errnoText(err)}`);
  }
}

/**
 * Creates the file exclusively; false when another process got there first. The secret is
 * written to a private temp file and hard-linked into place, so the file never exists empty
 * (two signers starting together must not read a half-written secret).
 */
async function createSecretFile(file: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(MIN_SECRET_BYTES).toString('base64url')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(tmp, file);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw new SecretError(`cannot create JWT_SECRET_FILE ${file}: ${errnoText(err)}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function checked(secret: Buffer, what: string): Uint8Array {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new SecretError(`${what} is too short: an HS256 secret needs at least ${MIN_SECRET_BYTES} bytes (it has ${secret.length})`);
  }
  return new Uint8Array(secret);
}

function trimEnd(buf: Buffer): Buffer {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d || buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  return buf.subarray(0, end);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ? code : 'unexpected error';
}
