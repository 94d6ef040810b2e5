import { z } from 'zod';
import { StoreUnavailableError } from './store.js';

/** How many recent samples the offset is taken from (the one with the shortest round trip wins). */
const WINDOW = 8;
/** Two samples may disagree by this much beyond their round trips (clock drift, timer granularity) before a step is assumed. */
const DRIFT_TOLERANCE_MS = 5;
/** Kept back from every deadline for the event loop and the reply's way back, beyond the measured round trip. */
const MAX_SAFETY_MS = 50;

const timeReply = z.tuple([z.coerce.number(), z.coerce.number()]);

interface Sample {
  /** Redis's TIME (ms) minus the local monotonic clock at the round trip's midpoint. */
  offsetMs: number;
  rttMs: number;
}

/**
 * Where Redis's clock stands against this process's monotonic clock, from `TIME` round trips:
 * Redis's answer is taken to be the time at the midpoint, so the error is at most half the round
 * trip. Wall clocks are never compared (a second of skew between the signer and Redis would
 * otherwise refuse or admit every write), and a local NTP step changes nothing.
 */
export class RedisClock {
  private samples: Sample[] = [];
  private epoch = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly time: () => Promise<unknown>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Forgets every sample, and any in flight: after a reconnect the server may be another one. */
  reset(): void {
    this.epoch++;
    this.samples = [];
    this.pending = undefined;
  }

  /** Takes one sample (one at a time); a failed one is dropped, the next call tries again. */
  sample(): Promise<void> {
    if (this.pending) return this.pending;
    const pending = this.measure().finally(() => {
      if (this.pending === pending) this.pending = undefined;
    });
    this.pending = pending;
    return pending;
  }

  /**
   * The latest moment, on Redis's clock (unix ms), at which a script sent at `startedAt` (this
   * clock, `now()`) may still run for its answer to be back within `budgetMs`: the offset's
   * uncertainty and the reply's way back are both taken off. Measures first if it has no sample.
   */
  async deadline(startedAt: number, budgetMs: number): Promise<number> {
    let best = this.best();
    if (!best) {
      await this.sample();
      best = this.best();
    }
    if (!best) throw new StoreUnavailableError('could not read the Redis clock');
    return Math.floor(startedAt + best.offsetMs + budgetMs - best.rttMs - Math.min(MAX_SAFETY_MS, budgetMs / 10));
  }

  private best(): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.samples) if (!best || s.rttMs < best.rttMs) best = s;
    return best;
  }

  private async measure(): Promise<void> {
    const epoch = this.epoch;
    const sent = this.now();
    let reply: unknown;
    try {
      reply = await this.time();
    } catch {
      return;
    }
    const received = this.now();
    const parsed = timeReply.safeParse(reply);
    if (epoch !== this.epoch || !parsed.success) return;
    const [seconds, micros] = parsed.data;
    const sample = { offsetMs: seconds * 1000 + micros / 1000 - (sent + received) / 2, rttMs: received - sent };
    // Each sample bounds the offset within half its round trip; two that cannot both hold mean a
    // clock was stepped (NTP on the Redis host): what came before no longer counts.
    const best = this.best();
    if (best && Math.abs(sample.offsetMs - best.offsetMs) > (sample.rttMs + best.rttMs) / 2 + DRIFT_TOLERANCE_MS) this.samples = [];
    this.samples.push(sample);
    if (this.samples.length > WINDOW) this.samples.shift();
  }
}
