import type { Logger } from '../log/logger.js';
import type { RedisCommands, ScriptOptions } from './redis-connection.js';
import { describeRedisError } from './redis-errors.js';
import { UnreplicatedWriteError } from './replication.js';

/** How one write reads its reply and meets too few acknowledgements. */
export interface WriteHandling<T> {
  late?: ScriptOptions['late'];
  /** Parses the master's reply. */
  read?: (raw: unknown) => T;
  /** Applies the reply locally (the mirror); called whether or not enough replicas acknowledged. */
  applied?: (reply: T) => void;
  /** True when this reply wrote nothing, so that too few acknowledgements do not matter. */
  unreplicatedOk?: (reply: T) => boolean;
  /** Takes back what it wrote, before the refusal goes up. */
  undo?: (reply: T) => Promise<void>;
}

/** The Redis store's writes: each answered as done only once the replicas have it (see `Replication`). */
export class ReplicatedWrites {
  constructor(
    private readonly commands: RedisCommands,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs one write script with `replicate`. `applied` sees the master's answer even when too few
   * replicas acknowledged it (the write is in force on the master); then `undo` takes back what it
   * can, unless `unreplicatedOk` says nothing was written, and the `UnreplicatedWriteError` goes
   * up (503).
   */
  async run<T>(script: string, keys: string[], args: (string | number)[], how: WriteHandling<T>): Promise<T> {
    const read = how.read ?? ((raw: unknown) => raw as T);
    let reply: T;
    try {
      reply = read(await this.commands.runScript(script, keys, args, { late: how.late ?? 'refuse', replicate: true }));
    } catch (err) {
      if (!(err instanceof UnreplicatedWriteError)) throw err;
      const applied = read(err.reply);
      how.applied?.(applied);
      if (how.unreplicatedOk?.(applied)) return applied;
      await how.undo?.(applied);
      throw err;
    }
    how.applied?.(reply);
    return reply;
  }

  /** Takes back a write too few replicas acknowledged; best effort (the master may be gone), never waited for. */
  async undo(script: string, keys: string[], args: (string | number)[]): Promise<void> {
    await this.commands.runScript(script, keys, args, { late: 'apply' }).catch((err: unknown) => {
      this.logger.warn(
        { err: err instanceof Error ? err.message : describeRedisError(err) },
        'could not undo a store write too few replicas acknowledged; it stays on the master',
      );
    });
  }
}
