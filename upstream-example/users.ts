import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';

export const ROLE = /^[\x21-\x2b\x2d-\x7e]{1,64}$/;
export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

const userRecord = z.object({
  name: z.string().max(256),
  roles: z.array(z.string().regex(ROLE)).max(64),
  hash: z.string().startsWith('$argon2id$'),
});

const usersFile = z.object({ users: z.record(z.string().regex(USERNAME), userRecord) });

export type UserRecord = z.infer<typeof userRecord>;
export type UsersFile = z.infer<typeof usersFile>;

/** Reads and validates the users file; only argon2id hashes are accepted, never plaintext. */
export async function readUsers(path: string): Promise<UsersFile> {
  return usersFile.parse(JSON.parse(await readFile(path, 'utf8')));
}

/** Writes the file atomically (temp file + rename) so a crash never leaves half a file. */
export async function writeUsers(path: string, users: UsersFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(usersFile.parse(users), null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

/** argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * Checks a password. An unknown user is checked against a hash of random bytes, so the answer
 * and its timing are the same as for a wrong password.
 */
export function createPasswordChecker(users: UsersFile) {
  const decoy = hashPassword(randomBytes(32).toString('base64url'));
  return async (username: string, password: string): Promise<UserRecord | undefined> => {
    const user = Object.hasOwn(users.users, username) ? users.users[username] : undefined;
    const ok = await verify(user?.hash ?? (await decoy), password).catch(() => false);
    return ok && user ? user : undefined;
  };
}
