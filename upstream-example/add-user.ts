import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exampleConfig } from './config.js';
import { hashPassword, readUsers, ROLE, USERNAME, writeUsers, type UsersFile } from './users.js';
import { EXIT } from '../src/exit.js';

const USAGE = 'usage: npm run add-user -- <name> <password> [--roles a,b] [--display-name "Full Name"]';

function fail(message: string): never {
  process.stderr.write(`add-user: ${message}\n${USAGE}\n`);
  process.exit(EXIT.usage);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { roles: { type: 'string' }, 'display-name': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  fail((err as Error).message);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\nAdds the user to USERS_FILE (default upstream-example/users.json), or updates its password and roles.\n`);
  process.exit(0);
}
const [name, password, ...extra] = args.positionals;
if (!name || !password || extra.length > 0) fail('give exactly a name and a password');
if (!USERNAME.test(name)) fail('the name may hold letters, digits and . _ @ - (at most 64)');
if (password.length > 1024) fail('the password must be at most 1024 characters');
if (password.length < 8) process.stderr.write('add-user: warning: a password under 8 characters is only fit for a demo\n');
const { USERS_FILE: file } = exampleConfig.parse(process.env);
const users: UsersFile = existsSync(file) ? await readUsers(file) : { users: {} };
const existing = Object.hasOwn(users.users, name) ? users.users[name] : undefined;
// Without --roles an existing user keeps their roles (a password reset must not demote them).
const roles =
  args.values.roles === undefined
    ? (existing?.roles ?? [])
    : args.values.roles
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
if (roles.some((r) => !ROLE.test(r))) fail('roles are printable ASCII without spaces, at most 64 characters each');

users.users[name] = { name: args.values['display-name'] ?? existing?.name ?? name, roles, hash: await hashPassword(password) };
await writeUsers(file, users);
process.stdout.write(`${existing ? 'updated' : 'added'} ${name} (roles: ${roles.join(',') || 'none'}) in ${file}\n`);
