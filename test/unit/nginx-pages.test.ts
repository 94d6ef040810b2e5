import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/browser/csp.js';
import { PAGE_STYLE } from '../../src/browser/html.js';
import { renderForbiddenPage } from '../../src/policy/forbidden-answer.js';
import { nginxQuoted, renderNginxPages } from '../../scripts/nginx-pages.js';
import { NGINX_DIR, SNIPPETS } from '../../scripts/stack/paths.js';

const snippet = () => readFileSync(join(NGINX_DIR, SNIPPETS.server), 'utf8');

/** What nginx reads from a single-quoted string: the escapes of its config parser undone. */
const unquoteNginx = (quoted: string) => quoted.slice(1, -1).replace(/\\(.)/g, '$1');

describe('the 403 page nginx serves itself (snippets/tokengate-server.conf)', () => {
  it('holds the page, its headers and its stylesheet exactly as the code has them (npm run docs)', () => {
    expect(renderNginxPages(snippet())).toBe(snippet());
  });

  it("is the embedded front's page to the byte, with the stylesheet every page shares, under the same CSP", () => {
    const location = /location = \/_tokengate\/forbidden \{\n([\s\S]*?)\n\}\n/.exec(snippet())?.[1] ?? '';
    const body = /^ {4}return 403 ('(?:[^'\\]|\\.)*');$/m.exec(location)?.[1];
    expect(body).toBeDefined();
    expect(unquoteNginx(body!)).toBe(renderForbiddenPage());
    expect(renderForbiddenPage()).toContain(`<style>${PAGE_STYLE}</style>`);
    expect(location).toContain(`add_header Content-Security-Policy "${PAGE_CSP}" always;`);
    expect(location).toContain('add_header Set-Cookie $tokengate_access_cookie always;');
  });

  it('notices a stale page', () => {
    const stale = snippet().replace('<h1>Not allowed</h1>', '<h1>Forbidden</h1>');
    expect(renderNginxPages(stale)).toBe(snippet());
  });

  it('refuses a snippet without its markers', () => {
    expect(() => renderNginxPages('location = /x {\n}\n')).toThrow(/forbidden-page:start/);
  });

  it.each([
    ['a quote and a backslash', "it's a \\ b", "'it\\'s a \\\\ b'"],
    ['newlines, kept as they are', 'a\nb', "'a\nb'"],
  ])('quotes %s for nginx', (_, text, quoted) => {
    expect(nginxQuoted(text)).toBe(quoted);
    expect(unquoteNginx(quoted)).toBe(text);
  });

  it('refuses a $, which nginx would read as a variable', () => {
    expect(() => nginxQuoted('costs $5')).toThrow(/variable/);
  });
});
