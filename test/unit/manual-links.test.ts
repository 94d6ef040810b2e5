import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualFiles } from '../../scripts/docs.js';
import { ROOT } from '../../scripts/stack/paths.js';

/** A page's lines with those of fenced code blocks blanked out: a `#` or a `[x](y)` in code is neither a heading nor a link. */
function outsideFences(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1]!;
      return '';
    }
    if (fence !== undefined) {
      if (line.trimStart().startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped except - and _, each space a -. */
function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page has: one per heading, a repeated one numbered -1, -2, ... as GitHub does. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of outsideFences(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every inline link or image target of a page, outside code. */
function links(text: string): string[] {
  // Inline code spans hold no links either.
  const prose = outsideFences(text)
    .map((line) => line.replace(/(`+)[^`]*?\1/g, '``'))
    .join('\n');
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/**
 * What is wrong with the links of `pages` (repository-relative names and their text): relative
 * targets that do not exist, and anchors no heading of the target page makes. A Markdown target
 * outside `pages` is read through `read`; external links are not followed.
 */
function brokenLinks(pages: Record<string, string>, exists: (path: string) => boolean, read: (path: string) => string): string[] {
  const problems: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchorsFor = (path: string) => {
    let set = anchorsOf.get(path);
    if (set === undefined) {
      set = anchors(pages[path] ?? read(path));
      anchorsOf.set(path, set);
    }
    return set;
  };
  for (const [name, text] of Object.entries(pages)) {
    for (const target of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const hash = target.indexOf('#');
      const file = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const path = file === '' ? name : posix.normalize(posix.join(posix.dirname(name), decodeURIComponent(file)));
      if (path.startsWith('../') || !(path in pages || exists(path))) {
        problems.push(`${name}: ${target}: no such file ${path}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!path.endsWith('.md')) problems.push(`${name}: ${target}: an anchor into a file that is not Markdown`);
      else if (!anchorsFor(path).has(anchor)) problems.push(`${name}: ${target}: no heading in ${path} makes #${anchor}`);
    }
  }
  return problems;
}

const onDisk = (path: string) => existsSync(join(ROOT, path));
const fromDisk = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the links of the manual (README.md and docs/)', () => {
  it('covers the README and every page under docs/, the reference pages included', () => {
    const files = manualFiles();
    expect(files).toContain('README.md');
    expect(files).toContain('docs/README.md');
    expect(files.some((f) => f.startsWith('docs/reference/'))).toBe(true);
  });

  it.each(manualFiles())('%s: every relative link reaches a file, and every #anchor a heading', (name) => {
    expect(brokenLinks({ [name]: fromDisk(name) }, onDisk, fromDisk)).toEqual([]);
  });

  it('finds links at all: the README links into docs/ with anchors', () => {
    const targets = links(fromDisk('README.md'));
    expect(targets.filter((t) => t.startsWith('docs/') && t.includes('.md#')).length).toBeGreaterThan(5);
  });
});

describe('the link checker', () => {
  const good = {
    'docs/a.md': [
      '# Page A',
      '## Operations: logs, metrics, health, shutdown',
      '## More cores: `SIGNER_WORKERS`',
      '## Twice',
      '## Twice',
      '```md',
      '## Not a heading',
      '[not a link](nowhere.md)',
      '```',
      'See [ops](#operations-logs-metrics-health-shutdown), [cores](#more-cores-signer_workers), [the second](#twice-1),',
      'a link over two',
      'lines: [page',
      'B](b.md#what-the-app-must-answer-on-authenticate), [the source](../src/errors.ts), [web](https://example.com/x#y),',
      'and `[code](nowhere.md)`.',
    ].join('\n'),
    'docs/b.md': '# B\n\n## What the app must answer on `/authenticate`\n\nBack to [A](a.md#page-a), [top](#b).\n',
  };
  const exists = (path: string) => path === 'src/errors.ts';
  const read = (path: string): string => {
    throw new Error(`read ${path}`);
  };

  it('passes good links: other pages, anchors by GitHub slug rules, duplicates, source files, code left out', () => {
    expect(brokenLinks(good, exists, read)).toEqual([]);
  });

  it.each([
    ['a missing page', 'See [it](c.md).', 'docs/a.md: c.md: no such file docs/c.md'],
    ['a missing source file', 'See [it](../src/nothing.ts).', 'docs/a.md: ../src/nothing.ts: no such file src/nothing.ts'],
    ['a missing anchor on this page', 'See [it](#page-b).', 'docs/a.md: #page-b: no heading in docs/a.md makes #page-b'],
    [
      'a missing anchor on another page',
      'See [it](b.md#what-the-app-must-answer).',
      'docs/a.md: b.md#what-the-app-must-answer: no heading in docs/b.md makes #what-the-app-must-answer',
    ],
    ['a duplicate numbered past its count', 'See [it](#twice-2).', 'docs/a.md: #twice-2: no heading in docs/a.md makes #twice-2'],
    [
      'an anchor kept with its punctuation',
      'See [it](#more-cores:-signer_workers).',
      'docs/a.md: #more-cores:-signer_workers: no heading in docs/a.md makes #more-cores:-signer_workers',
    ],
  ])('reports %s', (_, line, problem) => {
    const pages = { ...good, 'docs/a.md': `${good['docs/a.md']}\n${line}\n` };
    expect(brokenLinks(pages, exists, read)).toEqual([problem]);
  });

  it.each([
    ['Operations: logs, metrics, health, shutdown', 'operations-logs-metrics-health-shutdown'],
    ['More cores: `SIGNER_WORKERS`', 'more-cores-signer_workers'],
    ['What the app must answer on `/authenticate`', 'what-the-app-must-answer-on-authenticate'],
    ['Discovery: `GET /.well-known/openid-configuration`', 'discovery-get-well-knownopenid-configuration'],
    ['401 or 403', '401-or-403'],
    ['How `npm start` chooses its front', 'how-npm-start-chooses-its-front'],
  ])('slugs "%s" as GitHub does: %s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });
});
