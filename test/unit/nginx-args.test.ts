import { describe, expect, it } from 'vitest';
import { nginxArgs, versionAtLeast } from '../../scripts/stack/nginx.js';

describe('versionAtLeast', () => {
  it.each([
    ['1.19.5', '1.19.5', true],
    ['1.22.1', '1.19.5', true],
    ['1.19.10', '1.19.5', true],
    ['2.0', '1.19.5', true],
    ['1.21.4.1', '1.19.5', true],
    ['1.18.0', '1.19.5', false],
    ['1.19.4', '1.19.5', false],
    ['1.2.0', '1.19.5', false],
    ['1.19', '1.19.5', false],
  ])('%s is at least %s: %s', (a, b, expected) => {
    expect(versionAtLeast(a, b)).toBe(expected);
  });
});

describe('nginxArgs', () => {
  it('logs errors to stderr with -e on nginx 1.19.5 and later', () => {
    const args = nginxArgs('/p', '1.22.1');
    expect(args.slice(0, 4)).toEqual(['-p', '/p/', '-c', '/p/nginx.conf']);
    expect(args.slice(4, 6)).toEqual(['-e', 'stderr']);
    expect(args[6]).toBe('-g');
  });

  it('leaves -e out for nginx 1.18, which refuses it (Ubuntu 22.04, Debian 11)', () => {
    const args = nginxArgs('/p', '1.18.0');
    expect(args).not.toContain('-e');
    expect(args.slice(0, 5)).toEqual(['-p', '/p/', '-c', '/p/nginx.conf', '-g']);
    expect(args[5]).toMatch(/^daemon off;/);
  });
});
