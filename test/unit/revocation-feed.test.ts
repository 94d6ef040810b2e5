import { describe, expect, it } from 'vitest';
import { FEED_PAGE, RevocationFeed } from '../../src/openresty/revocation-feed.js';

describe('the revocation feed', () => {
  const clock = () => {
    let ms = 1_000_000;
    return { now: () => ms, advance: (s: number) => (ms += s * 1000) };
  };

  it('tells a new poller to reset, then hands it each revocation once, in order', () => {
    const feed = new RevocationFeed(clock().now);
    const first = feed.since(undefined, undefined);
    expect(first).toMatchObject({ reset: true, revoked: [], seq: 0 });
    feed.record({ kind: 's', id: 'sid-1', untilS: 5 });
    feed.record({ kind: 't', id: 'jti-1', untilS: 5 });
    const next = feed.since(first.instance, first.seq);
    expect(next).toEqual({ instance: first.instance, seq: 2, reset: false, revoked: [['s', 'sid-1'], ['t', 'jti-1']], more: false });
    expect(feed.since(first.instance, next.seq)).toMatchObject({ reset: false, revoked: [], seq: 2 });
  });

  it.each([
    ['another instance', 'someone-else', 0],
    ['a position it never gave', undefined, 99],
    ['no position', undefined, undefined],
  ])('resets a poller at %s', (_name, instance, seq) => {
    const feed = new RevocationFeed(clock().now);
    feed.record({ kind: 's', id: 'sid-1', untilS: 5 });
    expect(feed.since(instance === undefined ? (seq === undefined ? undefined : feed.instance) : instance, seq).reset).toBe(true);
  });

  it('resets a poller that fell behind the window, but not one inside it', () => {
    const c = clock();
    const feed = new RevocationFeed(c.now, 10);
    const start = feed.since(undefined, undefined);
    feed.record({ kind: 's', id: 'old', untilS: 5 });
    c.advance(5);
    expect(feed.since(start.instance, start.seq)).toMatchObject({ reset: false, revoked: [['s', 'old']] });
    c.advance(6);
    feed.record({ kind: 's', id: 'new', untilS: 5 });
    // `old` is gone from the window: a poller that never heard it must reset.
    expect(feed.since(start.instance, start.seq).reset).toBe(true);
    expect(feed.since(start.instance, 1)).toMatchObject({ reset: false, revoked: [['s', 'new']] });
  });

  it('resets a poller whose next entry was dropped for the cap', () => {
    const feed = new RevocationFeed(clock().now, 120, 3);
    const start = feed.since(undefined, undefined);
    for (let i = 0; i < 5; i++) feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
    expect(feed.since(start.instance, start.seq).reset).toBe(true);
    expect(feed.since(start.instance, 2)).toMatchObject({ reset: false, revoked: [['t', 'j2'], ['t', 'j3'], ['t', 'j4']] });
  });

  it('pages a long backlog', () => {
    const feed = new RevocationFeed(clock().now);
    const start = feed.since(undefined, undefined);
    for (let i = 0; i < FEED_PAGE + 10; i++) feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
    const first = feed.since(start.instance, start.seq);
    expect(first).toMatchObject({ reset: false, more: true, seq: FEED_PAGE });
    expect(first.revoked).toHaveLength(FEED_PAGE);
    const second = feed.since(start.instance, first.seq);
    expect(second).toMatchObject({ reset: false, more: false, seq: FEED_PAGE + 10 });
    expect(second.revoked[0]).toEqual(['t', `j${FEED_PAGE}`]);
  });

  it('stays small under a long stream of revocations', () => {
    const c = clock();
    const feed = new RevocationFeed(c.now, 1);
    const start = feed.since(undefined, undefined);
    for (let i = 0; i < 20_000; i++) {
      feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
      if (i % 1000 === 0) c.advance(2);
    }
    const page = feed.since(start.instance, 19_999);
    expect(page).toMatchObject({ reset: false, revoked: [['t', 'j19999']] });
    expect((feed as unknown as { entries: unknown[] }).entries.length).toBeLessThan(4_000);
  });
});
