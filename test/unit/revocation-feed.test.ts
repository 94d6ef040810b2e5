import { describe, expect, it } from 'vitest';
import { FEED_PAGE, RevocationFeed } from '../../src/openresty/revocation-feed.js';

describe('the revocation feed', () => {
  const clock = () => {
    let ms = 1_000_000;
    return { now: () => ms, advance: (s: number) => (ms += s * 1000) };
  };

  it('gives a poller without a position the window, then each new revocation once, in order', () => {
    const feed = new RevocationFeed(clock().now);
    feed.record({ kind: 's', id: 'before', untilS: 5 });
    const first = feed.since(undefined);
    expect(first).toMatchObject({ reset: true, revoked: [['s', 'before']], seq: 1, more: false });
    feed.record({ kind: 's', id: 'sid-1', untilS: 5 });
    feed.record({ kind: 't', id: 'jti-1', untilS: 5 });
    const next = feed.since(first.seq);
    expect(next).toEqual({
      instance: feed.instance,
      seq: 3,
      reset: false,
      revoked: [
        ['s', 'sid-1'],
        ['t', 'jti-1'],
      ],
      more: false,
      windowS: 120,
    });
    expect(feed.since(next.seq)).toMatchObject({ reset: false, revoked: [], seq: 3 });
  });

  it('answers an empty feed with an empty window and position 0', () => {
    const feed = new RevocationFeed(clock().now);
    expect(feed.since(undefined)).toMatchObject({ reset: true, revoked: [], seq: 0 });
    expect(feed.since(0)).toMatchObject({ reset: false, revoked: [], seq: 0 });
  });

  it.each([
    ['a position it never gave', 99],
    ['a negative position', -5],
    ['a fraction', 0.5],
  ])('gives the window again to %s', (_name, position) => {
    const feed = new RevocationFeed(clock().now);
    feed.record({ kind: 's', id: 'sid-1', untilS: 5 });
    expect(feed.since(position)).toMatchObject({ reset: true, revoked: [['s', 'sid-1']], seq: 1 });
  });

  it('gives the window to a poller that fell behind it, but a delta to one inside it', () => {
    const c = clock();
    const feed = new RevocationFeed(c.now, 10);
    feed.record({ kind: 's', id: 'old', untilS: 5 });
    c.advance(5);
    expect(feed.since(0)).toMatchObject({ reset: false, revoked: [['s', 'old']] });
    c.advance(6);
    feed.record({ kind: 's', id: 'new', untilS: 5 });
    // `old` is gone from the window: a poller that never heard it is told this is the window.
    expect(feed.since(0)).toMatchObject({ reset: true, revoked: [['s', 'new']], seq: 2 });
    expect(feed.since(1)).toMatchObject({ reset: false, revoked: [['s', 'new']] });
  });

  it('drops the oldest past its cap, and a poller that needed them gets the window', () => {
    const feed = new RevocationFeed(clock().now, 120, 3);
    for (let i = 0; i < 5; i++) feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
    expect(feed.since(0)).toMatchObject({
      reset: true,
      revoked: [
        ['t', 'j2'],
        ['t', 'j3'],
        ['t', 'j4'],
      ],
    });
    expect(feed.since(2)).toMatchObject({
      reset: false,
      revoked: [
        ['t', 'j2'],
        ['t', 'j3'],
        ['t', 'j4'],
      ],
    });
  });

  it('pages a long backlog', () => {
    const feed = new RevocationFeed(clock().now);
    for (let i = 0; i < FEED_PAGE + 10; i++) feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
    const first = feed.since(0);
    expect(first).toMatchObject({ reset: false, more: true, seq: FEED_PAGE });
    expect(first.revoked).toHaveLength(FEED_PAGE);
    const second = feed.since(first.seq);
    expect(second).toMatchObject({ reset: false, more: false, seq: FEED_PAGE + 10 });
    expect(second.revoked[0]).toEqual(['t', `j${FEED_PAGE}`]);
  });

  it('stays small under a long stream of revocations', () => {
    const c = clock();
    const feed = new RevocationFeed(c.now, 1);
    for (let i = 0; i < 20_000; i++) {
      feed.record({ kind: 't', id: `j${i}`, untilS: 5 });
      if (i % 1000 === 0) c.advance(2);
    }
    expect(feed.since(19_999)).toMatchObject({ reset: false, revoked: [['t', 'j19999']] });
    expect((feed as unknown as { entries: unknown[] }).entries.length).toBeLessThan(4_000);
  });
});
