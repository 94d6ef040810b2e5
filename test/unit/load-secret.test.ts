import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecret, MIN_SECRET_BYTES, SecretError } from '../../src/secret/load-secret.js';

const GOOD = 'file-secret-0123456789abcdefghijklmnopq';
const ENV = 'env-secret-0123456789abcdefghijklmnopqr';
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokengate-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loading the signing secret', () => {
  it('takes JWT_SECRET over an existing file, and leaves the file alone', async () => {
    const file = join(dir, 'jwt-secret');
    await writeFile(file, `${GOOD}\n`, { mode: 0o600 });
    const loaded = await loadSecret({ value: ENV, file });
    expect(loaded.source).toBe('env');
    expect(text(loaded.secret)).toBe(ENV);
    expect(await readFile(file, 'utf8')).toBe(`${GOOD}\n`);
  });

  it('does not create a file when JWT_SECRET is set', async () => {
    const file = join(dir, 'sub', 'jwt-secret');
    await loadSecret({ value: ENV, file });
    await expect(stat(join(dir, 'sub'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['a trailing newline', `${GOOD}\n`],
    ['a trailing CRLF', `${GOOD}\r\n`],
    ['no trailing newline', GOOD],
  ])('reads the file and drops %s', async (_case, content) => {
    const file = join(dir, 'jwt-secret');
    await writeFile(file, content, { mode: 0o600 });
    const loaded = await loadSecret({ file });
    expect(loaded.source).toBe('file');
    expect(text(loaded.secret)).toBe(GOOD);
    expect(loaded.looseMode).toBeUndefined();
  });

  it('keeps bytes that are not UTF-8 as they are', async () => {
    const file = join(dir, 'jwt-secret');
    const raw = Buffer.from(Array.from({ length: 40 }, (_, i) => 0x80 + i));
    await writeFile(file, raw, { mode: 0o600 });
    expect(Buffer.from((await loadSecret({ file })).secret).equals(raw)).toBe(true);
  });

  it('reports a file that group or others can read', async () => {
    const file = join(dir, 'jwt-secret');
    await writeFile(file, GOOD);
    await chmod(file, 0o644);
    expect((await loadSecret({ file })).looseMode).toBe(0o644);
  });

  it('generates a 0600 file of at least 32 bytes when there is none, creating its directory', async () => {
    const file = join(dir, 'secrets', 'nested', 'jwt-secret');
    const loaded = await loadSecret({ file });
    expect(loaded.source).toBe('generated');
    expect(loaded.secret.length).toBeGreaterThanOrEqual(MIN_SECRET_BYTES);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trimEnd()).toBe(text(loaded.secret));
    expect(loaded.looseMode).toBeUndefined();
  });

  it('uses the generated secret again on the next start', async () => {
    const file = join(dir, 'jwt-secret');
    const first = await loadSecret({ file });
    const second = await loadSecret({ file });
    expect(second.source).toBe('file');
    expect(text(second.secret)).toBe(text(first.secret));
  });

  it('generates a different secret for every new file', async () => {
    const a = await loadSecret({ file: join(dir, 'a') });
    const b = await loadSecret({ file: join(dir, 'b') });
    expect(text(a.secret)).not.toBe(text(b.secret));
  });

  it('refuses a JWT_SECRET under 32 bytes without showing it', async () => {
    const short = 'tiny-secret-XYZ-31-bytes-long!!';
    expect(Buffer.byteLength(short)).toBe(31);
    const err = await loadSecret({ value: short, file: join(dir, 'jwt-secret') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(String((err as Error).message)).not.toContain(short);
    expect(String((err as Error).stack)).not.toContain(short);
  });

  it('refuses a file secret under 32 bytes (after the newline) without showing it', async () => {
    const short = 'tiny-secret-XYZ-31-bytes-long!!';
    const file = join(dir, 'jwt-secret');
    await writeFile(file, `${short}\n`, { mode: 0o600 });
    const err = await loadSecret({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as Error).message).not.toContain(short);
    expect((err as Error).message).toContain(file);
  });

  it('refuses an empty secret file rather than replacing it', async () => {
    const file = join(dir, 'jwt-secret');
    await writeFile(file, '', { mode: 0o600 });
    await expect(loadSecret({ file })).rejects.toBeInstanceOf(SecretError);
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('reports an unreadable secret path with a SecretError naming the file', async () => {
    // Tests may run as root, where permissions do not stop a read; a directory does.
    const file = join(dir, 'jwt-secret');
    await mkdir(file);
    const err = await loadSecret({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as Error).message).toContain(file);
  });

  it('reports a secret path that cannot be created with a SecretError', async () => {
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, 'x');
    await expect(loadSecret({ file: join(blocker, 'jwt-secret') })).rejects.toBeInstanceOf(SecretError);
  });
});
