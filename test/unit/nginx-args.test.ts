import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxArgs, renderTemplate, versionAtLeast } from '../../scripts/stack/nginx.js';
import { NGINX_DIR, SNIPPETS } from '../../scripts/stack/paths.js';

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

describe('renderTemplate', () => {
  it('replaces every ${NAME} and leaves nginx variables alone', () => {
    expect(renderTemplate('listen ${HOST}:${PORT}; set $x $host;', { HOST: '127.0.0.1', PORT: '8080' })).toBe('listen 127.0.0.1:8080; set $x $host;');
  });

  it('refuses a variable nobody gave, instead of writing a blank', () => {
    expect(() => renderTemplate('server ${SIGNER_ADDR};', {})).toThrow(/SIGNER_ADDR/);
  });

  it('repeats the line of a list variable once per item, other variables filled in on each', () => {
    const out = renderTemplate('a\n    server ${ADDR} weight=${W};\nb', { ADDR: ['127.0.0.1:9000', '127.0.0.1:9001'], W: '1' });
    expect(out).toBe('a\n    server 127.0.0.1:9000 weight=1;\n    server 127.0.0.1:9001 weight=1;\nb');
  });

  it('refuses an empty list and two lists on one line', () => {
    expect(() => renderTemplate('server ${A};', { A: [] })).toThrow(/empty/);
    expect(() => renderTemplate('${A} ${B}', { A: ['1'], B: ['2'] })).toThrow(/two list/);
  });

  it('gives the real http snippet one signer `server` line per instance', () => {
    const signers = (addr: string | string[]) => {
      const conf = renderTemplate(readFileSync(join(NGINX_DIR, SNIPPETS.http), 'utf8'), { SIGNER_ADDR: addr });
      const block = /upstream tokengate_signer \{([^}]*)\}/.exec(conf)?.[1] ?? '';
      return [...block.matchAll(/^\s*server\s+([^\s;]+)[^;]*;/gm)].map((m) => m[1]);
    };
    expect(signers('127.0.0.1:9000')).toEqual(['127.0.0.1:9000']);
    expect(signers(['127.0.0.1:9000', '127.0.0.1:9001', '127.0.0.1:9002'])).toEqual(['127.0.0.1:9000', '127.0.0.1:9001', '127.0.0.1:9002']);
  });
});
