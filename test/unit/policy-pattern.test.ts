import { describe, expect, it } from 'vitest';
import { compareSpecificity, matchesPattern, parsePattern, splitPath, type Pattern } from '../../src/policy/pattern.js';

function pattern(text: string): Pattern {
  const parsed = parsePattern(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.pattern;
}

const matches = (p: string, path: string) => matchesPattern(pattern(p), splitPath(path));

describe('path patterns', () => {
  it.each<[string, string[], string[]]>([
    ['/check', ['/check'], ['/check/', '/checks', '/check/x', '/', '/Check']],
    ['/', ['/'], ['/x', '/x/']],
    ['/docs/', ['/docs/'], ['/docs', '/docs/x']],
    ['/admin/**', ['/admin', '/admin/', '/admin/x', '/admin/x/y/'], ['/administrator', '/adm', '/', '/x/admin', '/ADMIN']],
    ['/**', ['/', '/x', '/x/y/z'], []],
    ['/api/*', ['/api/x', '/api/x.json'], ['/api', '/api/', '/api/x/', '/api/x/y']],
    ['/api/*/edit', ['/api/7/edit'], ['/api//edit', '/api/7/edit/', '/api/7/8/edit']],
    ['/api/*/**', ['/api/x', '/api/x/', '/api/x/y'], ['/api', '/api/']],
    ['/files/*/**', ['/files/a', '/files/a/b/c'], ['/files']],
  ])('%s matches %j and not %j', (p, yes, no) => {
    for (const path of yes) expect(matches(p, path), path).toBe(true);
    for (const path of no) expect(matches(p, path), path).toBe(false);
  });

  it.each([
    ['no leading slash', 'admin/**', 'must start with /'],
    ['** in the middle', '/a/**/b', '** may only be the last segment'],
    ['** after a trailing slash', '/a/**/', '** may only be the last segment'],
    ['* inside a name', '/files/*.txt', '* stands for a whole segment'],
    ['*** as a segment', '/a/***', '* stands for a whole segment'],
    ['a double slash', '/a//b', 'must not contain //'],
    ['a slash before **', '/a//**', 'must not contain //'],
    ['a dot segment', '/a/./b', 'must not contain . or .. segments'],
    ['a dot-dot segment', '/public/../admin', 'must not contain . or .. segments'],
    ['a query', '/admin?x=1', 'query string'],
    ['a fragment', '/admin#top', 'query string and fragment'],
    ['a percent escape', '/%61dmin', 'must be written decoded'],
    ['a control character', '/a\nb', 'control characters'],
    ['an endless pattern', `/${'a'.repeat(1100)}`, 'at most 1024'],
  ])('refuses %s', (_case, text, problem) => {
    const parsed = parsePattern(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });

  it('splits paths the way patterns are split', () => {
    expect(splitPath('/')).toEqual(['']);
    expect(splitPath('/a')).toEqual(['a']);
    expect(splitPath('/a/')).toEqual(['a', '']);
    expect(splitPath('/a/b')).toEqual(['a', 'b']);
  });
});

describe('specificity', () => {
  // Each pair: the first is more specific than the second, for a path both match.
  it.each([
    ['/admin', '/admin/**', '/admin'],
    ['/admin/users', '/admin/*', '/admin/users'],
    ['/admin/*', '/admin/**', '/admin/x'],
    ['/admin/**', '/**', '/admin/x'],
    ['/admin/x/**', '/admin/**', '/admin/x/y'],
    ['/admin/**', '/*/public', '/admin/public'],
    ['/api/users/**', '/api/*/admin', '/api/users/admin'],
    ['/', '/**', '/'],
    ['/docs/', '/docs/**', '/docs/'],
  ])('%s beats %s (both match %s)', (a, b, path) => {
    expect(matches(a, path) && matches(b, path)).toBe(true);
    expect(compareSpecificity(pattern(a), pattern(b))).toBeLessThan(0);
    expect(compareSpecificity(pattern(b), pattern(a))).toBeGreaterThan(0);
  });

  it('ties only the same shape', () => {
    expect(compareSpecificity(pattern('/a/*'), pattern('/a/*'))).toBe(0);
    expect(compareSpecificity(pattern('/a/**'), pattern('/b/**'))).toBe(0);
  });
});
