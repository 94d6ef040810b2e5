import type { Logger } from '../log/logger.js';

/**
 * A warning about something that happens per request (an answer from a stale revocation list, a
 * write no replica acknowledged): logged at most once per `intervalMs`, with how many times it
 * happened since the last line.
 */
export class CountedWarning {
  private count = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    /** The log field that carries the count. */
    private readonly countField = 'times',
    private readonly intervalMs = 60_000,
  ) {}

  note(fields: Record<string, unknown> = {}): void {
    this.count++;
    const now = performance.now();
    if (now - this.loggedAt < this.intervalMs) return;
    this.logger.warn({ ...fields, [this.countField]: this.count }, this.message);
    this.loggedAt = now;
    this.count = 0;
  }
}
