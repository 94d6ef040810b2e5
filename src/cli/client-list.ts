import { keyFingerprint } from '../service-clients/public-key.js';
import { ClientsError, loadClients } from '../service-clients/registry.js';
import { parseCommand } from './args.js';
import { EXIT, failure, note, type CliIo } from './io.js';
import { cliConfig } from './load-keys.js';

const NAME = 'client list';

/** `tokengate client list`: one line per client (name, algorithm, key fingerprint, file), loaded as the signers load them. */
export async function clientList(args: string[], io: CliIo): Promise<number> {
  if (!parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: false })) return EXIT.usage;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const dir = config.CLIENTS_DIR;
  let loaded: Awaited<ReturnType<typeof loadClients>>;
  try {
    loaded = await loadClients(dir);
  } catch (err) {
    if (!(err instanceof ClientsError)) throw err;
    return failure(
      io,
      NAME,
      [
        `the clients in ${dir} cannot be used (signers refuse to start, or keep the previous ones):`,
        ...err.problems.map((p) => `  - ${p.file}: ${p.reason}`),
      ].join('\n'),
    );
  }
  const clients = [...loaded.registry.clients.values()];
  const width = Math.max(0, ...clients.map((c) => c.name.length));
  for (const c of clients) io.out.write(`${c.name.padEnd(width)}  ${c.alg.padEnd(5)}  ${keyFingerprint(c.key)}  ${c.file}\n`);
  for (const w of loaded.warnings) note(io, NAME, `warning: ${w.file}: ${w.reason}`);
  note(io, NAME, clients.length === 0 ? `no clients in ${dir}` : `${clients.length} client${clients.length === 1 ? '' : 's'} in ${dir}`);
  return EXIT.ok;
}
