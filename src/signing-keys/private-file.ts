import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { link, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';

/** Creates the key ring directory (mode 0700) if it is missing; an existing one keeps its mode. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes a file with mode 0600 so it appears whole or not at all: the data goes to a private
 * temp file first (a dotfile the loader ignores), then is renamed over the target (`replace`)
 * or hard-linked to it, which fails with EEXIST instead of replacing another key.
 */
export async function writePrivateFile(file: string, data: string, mode: 'replace' | 'create'): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let moved = false;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await giveToDirOwner(handle, dirname(file));
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (mode === 'replace') {
      await rename(tmp, file);
      moved = true;
    } else {
      await link(tmp, file);
    }
    await syncDir(dirname(file));
  } finally {
    if (!moved) await unlink(tmp).catch(() => undefined);
  }
}

/** Makes the new directory entry durable; best effort, as some file systems refuse it. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * Run as root (sudo tokengate keygen), a new file would belong to root and, mode 0600, be unreadable
 * by the signer's own user: it gets the owner of the key ring directory instead.
 */
async function giveToDirOwner(handle: FileHandle, dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await stat(dir);
  if (owner.uid !== 0) await handle.chown(owner.uid, owner.gid);
}
