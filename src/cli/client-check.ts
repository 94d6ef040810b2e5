import { stat } from 'node:fs/promises';
import { ClientsError, loadClients } from '../service-clients/registry.js';

export type ClientsCheck = { ok: true; line: string } | { ok: false; problems: string[] };

/** CLIENTS_DIR as the signer will load it, for `tokengate check-config`: a summary line, or every problem (the signer would exit 2). */
export async function checkClientsDir(dir: string): Promise<ClientsCheck> {
  try {
    const { registry, warnings } = await loadClients(dir);
    const names = [...registry.clients.values()].map((c) => `${c.name} (${c.alg})`);
    const absent =
      names.length === 0 &&
      !(await stat(dir).then(
        () => true,
        () => false,
      ));
    const summary = absent ? `none (${dir} does not exist)` : names.length === 0 ? `none in ${dir}` : `${names.join(', ')} in ${dir}`;
    return { ok: true, line: [`clients:  ${summary}`, ...warnings.map((w) => `          warning: ${w.file}: ${w.reason}`)].join('\n  ') };
  } catch (err) {
    if (!(err instanceof ClientsError)) throw err;
    return { ok: false, problems: err.problems.map((p) => `${p.file}: ${p.reason}`) };
  }
}
