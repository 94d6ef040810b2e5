import { randomBytes } from 'node:crypto';
import type { Revocation } from '../store/store.js';

/** How long the feed remembers a revocation: far past any poll gap it still answers with a delta. */
export const FEED_WINDOW_S = 120;
/** At most this many remembered revocations; past it the oldest go, and a poller that needs them resets. */
export const FEED_MAX_ENTRIES = 200_000;
/** At most this many revocations in one answer; the poller asks again from where it ends. */
export const FEED_PAGE = 5_000;

interface Entry {
  seq: number;
  atMs: number;
  kind: Revocation['kind'];
  id: string;
}

/** One answer of the feed: what a poller at (`instance`, `seq`) has not heard yet. */
export interface FeedPage {
  /** This signer process; another one (a restart, a failover) means the poller's position is void. */
  instance: string;
  /** The position after this page. */
  seq: number;
  /** The poller's position is not known here (another instance, or older than the window): it must forget every identity it holds. */
  reset: boolean;
  /** `[kind, id]` of each revocation after the poller's position, oldest first. */
  revoked: [Revocation['kind'], string][];
  /** More revocations follow this page. */
  more: boolean;
}

/**
 * The revocations this signer learns (its own, and with Redis every instance's through its
 * mirror), numbered, for the OpenResty front: each nginx worker polls `GET /revocations` with the
 * last number it heard and drops the cached identities they name. A window, not a log: a poller
 * that falls behind it, or moves to another signer process, is told to reset.
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

  /** What a poller that last heard `seq` of `instance` has missed; a reset when that position is not known here. */
  since(instance: string | undefined, seq: number | undefined): FeedPage {
    this.trim();
    const oldest = this.head < this.entries.length ? this.entries[this.head]!.seq : this.seq + 1;
    const known = instance === this.instance && seq !== undefined && Number.isSafeInteger(seq) && seq <= this.seq && seq >= oldest - 1;
    if (!known) return { instance: this.instance, seq: this.seq, reset: true, revoked: [], more: false };
    // Entries are numbered without gaps, so the poller's next one sits at a known offset.
    const start = this.head + (seq - oldest + 1);
    const page = this.entries.slice(start, start + FEED_PAGE);
    const last = page.length > 0 ? page[page.length - 1]!.seq : seq;
    return { instance: this.instance, seq: last, reset: false, revoked: page.map((e) => [e.kind, e.id]), more: last < this.seq };
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
