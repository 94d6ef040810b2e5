import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../signing-keys/errors.js';
import { MAX_KEY_FILE_BYTES } from '../signing-keys/key-file.js';
import { clientFileName, type ClientKeyFormat } from '../service-clients/names.js';
import { failure, type CliIo } from './io.js';

/** A key file's text and mode, or undefined after saying why it cannot be read (the caller exits 1). */
export async function readClientKeyFile(io: CliIo, command: string, path: string): Promise<{ text: string; mode: number } | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return void failure(io, command, `${path} is not a regular file`);
    if (info.size > MAX_KEY_FILE_BYTES) return void failure(io, command, `${path} is larger than ${MAX_KEY_FILE_BYTES} bytes: not a key`);
    return { text: await readFile(path, 'utf8'), mode: info.mode & 0o777 };
  } catch (err) {
    return void failure(io, command, `${path} cannot be read (${errnoCode(err) ?? 'error'})`);
  }
}

/** The files that would register `name` in `dir`, in either format, that exist now. */
export async function existingClientFiles(dir: string, name: string): Promise<{ format: ClientKeyFormat; path: string }[]> {
  const found: { format: ClientKeyFormat; path: string }[] = [];
  for (const format of ['pem', 'jwk'] as const) {
    const path = join(dir, clientFileName(name, format));
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      found.push({ format, path });
  }
  return found;
}

/** Removes a file; one that is already gone counts as removed. */
export async function removeIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
}
