import { readFile, stat } from 'node:fs/promises';
import { errnoCode } from './errors.js';

/** A JSON key file's text as an object; reasons never quote the text (JSON.parse's own message may: the key itself). */
export function parseJsonObject(text: string): { ok: true; obj: Record<string, unknown> } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'is not a JSON object (a JWK)' };
  return { ok: true, obj: raw as Record<string, unknown> };
}

export type SmallFile = { ok: true; text: string; mode: number } | { ok: false; reason: string; missing?: true };

/** Reads a key file, symlinks followed (as Kubernetes mounts secrets), refusing anything but a regular file of at most `maxBytes`. */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFile> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, reason: 'is not a regular file' };
    if (info.size > maxBytes) return { ok: false, reason: `is larger than ${maxBytes} bytes` };
    return { ok: true, mode: info.mode & 0o777, text: await readFile(path, 'utf8') };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { ok: false, reason: 'does not exist', missing: true };
    return { ok: false, reason: `cannot be read (${errnoCode(err) ?? 'error'})` };
  }
}
