import { randomBytes } from 'node:crypto';
import type { Revocation } from '../store/store.js';

/** How long the feed remembers a revocation: a poller that was away for less catches up from it. */
export const FEED_WINDOW_S = 120;
/** At most this many remembered revocations; past it the oldest go. */
export const FEED_MAX_ENTRIES = 200_000;
/** At most this many revocations in one answer; the poller asks again from where it ends. */
export const FEED_PAGE = 5_000;

interface Entry {
  seq: number;
  atMs: number;
  kind: Revocation['kind'];
  id: string;
}

/** One answer of the feed. */
export interface FeedPage {
  /** This signer process. Numbers are its own: a poller keeps one position per instance it polls. */
  instance: string;
  /** The poller's position in this instance after this page. */
  seq: number;
  /**
   * The poller had no position here (a new instance, another cluster worker, or a position fallen
   * out of the window): this is the window from its start, not a delta. Whatever the poller heard
   * from other instances up to a moment inside the window is covered; a poller that heard
   * nothing for longer than `windowS` must forget every identity it holds.
   */
  reset: boolean;
  /** `[kind, id]` of each revocation after the position, oldest first. */
  revoked: [Revocation['kind'], string][];
  /** More revocations follow this page. */
  more: boolean;
  windowS: number;
}

/**
 * The revocations this signer learns (its own, and with Redis every instance's through its
 * mirror), numbered, for the OpenResty front: each nginx worker polls `GET /revocations` with
 * its position in each signer process it has heard, and marks the tokens and sessions named.
 * A window, not a log: a poller new to this instance, or behind the window, gets the window.
 */
export class RevocationFeed {
  readonly instance = randomBytes(12).toString('base64url');
  private seq = 0;
  private readonly entries: Entry[] = [];
  /** Index of the oldest live entry in `entries` (dropping from the front of an array is costly). */
  private head = 0;

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly windowS = FEED_WINDOW_S,
    private readonly maxEntries = FEED_MAX_ENTRIES,
  ) {}

  /** Numbers and remembers a revocation. */
  record(revocation: Revocation): void {
    this.seq++;
    this.entries.push({ seq: this.seq, atMs: this.nowMs(), kind: revocation.kind, id: revocation.id });
    this.trim();
  }

  /** What a poller at `position` in this instance (undefined: none) has not heard: a delta, or the window. */
  since(position: number | undefined): FeedPage {
    this.trim();
    const oldest = this.head < this.entries.length ? this.entries[this.head]!.seq : this.seq + 1;
    const known = position !== undefined && Number.isSafeInteger(position) && position <= this.seq && position >= oldest - 1;
    const from = known ? position : oldest - 1;
    // Entries are numbered without gaps, so the next one sits at a known offset.
    const start = this.head + (from - oldest + 1);
    const page = this.entries.slice(start, start + FEED_PAGE);
    const last = page.length > 0 ? page[page.length - 1]!.seq : Math.max(from, this.seq);
    return { instance: this.instance, seq: last, reset: !known, revoked: page.map((e) => [e.kind, e.id]), more: last < this.seq, windowS: this.windowS };
  }

  /** Forgets entries older than the window, or past the cap; compacts the array now and then. */
  private trim(): void {
    const cutoff = this.nowMs() - this.windowS * 1000;
    while (this.head < this.entries.length && (this.entries[this.head]!.atMs < cutoff || this.entries.length - this.head > this.maxEntries)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
