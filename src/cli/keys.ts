import { parseCommand } from './args.js';
import { EXIT, note, type CliIo, type Command } from './io.js';
import { cliConfig, keyRingFailure } from './load-keys.js';
import { describeRing, octalMode, summarizeRing, type RingSummary } from './ring-summary.js';

const NAME = 'keys';

/** `tokengate keys`: what is in the key ring and which key signs, without any key material. */
export const keysCommand: Command = {
  usage: 'tokengate keys',
  summary: 'list the key ring (KEYS_DIR): kid, algorithm, file mode, and which key is active',
  details: ['One line per key on stdout: kid, alg, file mode, then "active" or "verifies".', 'A broken ring exits 1 with every problem, file by file.'],
  run: keys,
};

async function keys(args: string[], io: CliIo): Promise<number> {
  if (!parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: false })) return EXIT.usage;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  let summary: RingSummary;
  try {
    summary = await summarizeRing(config);
  } catch (err) {
    return keyRingFailure(NAME, io, config.KEYS_DIR, err);
  }
  if (summary.kind === 'ring') {
    const width = Math.max(...summary.keys.map((k) => k.kid.length));
    for (const key of summary.keys)
      io.out.write(`${key.kid.padEnd(width)}  ${key.alg.padEnd(5)}  ${octalMode(key.mode)}  ${key.active ? 'active' : 'verifies'}\n`);
    for (const w of summary.warnings) note(io, NAME, `warning: ${w.file}: ${w.reason}`);
  }
  note(io, NAME, describeRing(config, summary));
  return EXIT.ok;
}
