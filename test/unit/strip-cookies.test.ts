import { describe, expect, it } from 'vitest';
import { withoutGatewayCookies } from '../../src/front/strip-cookies.js';

describe("keeping the gateway's cookies from the app", () => {
  it.each<[string, string | string[], string | undefined]>([
    ['first', '__Host-tg_access=a; theme=dark', 'theme=dark'],
    ['in the middle', 'theme=dark; __Host-tg_refresh=r; lang=en', 'theme=dark; lang=en'],
    ['last', 'theme=dark; lang=en; __Host-tg_csrf=c', 'theme=dark; lang=en'],
    ['all three, plain spelling', 'tg_access=a; theme=dark; tg_refresh=r; lang=en; tg_csrf=c', 'theme=dark; lang=en'],
    ['both spellings at once', '__Host-tg_access=a; tg_access=b; theme=dark; __Host-tg_refresh=r; tg_refresh=s', 'theme=dark'],
    ['with spaces around the name', ' tg_access =a;theme=dark', 'theme=dark'],
    ['without a value', 'tg_access; theme=dark', 'theme=dark'],
    ['from one of several Cookie headers', ['theme=dark; __Host-tg_access=a', 'tg_refresh=r; lang=en'], 'theme=dark; lang=en'],
  ])('removes them %s, keeping the rest in order', (_case, header, expected) => {
    expect(withoutGatewayCookies(header)).toBe(expected);
  });

  it.each<[string, string]>([
    ['a name that ends with ours', 'xtg_access=1'],
    ['a name that starts with ours', 'tg_access_old=1'],
    ['another prefix', '__Secure-tg_access=1'],
    ['another case', 'TG_ACCESS=1; __host-tg_refresh=2'],
    ['our name as a value', 'theme=tg_access'],
  ])('keeps a cookie that is not ours: %s', (_case, header) => {
    expect(withoutGatewayCookies(header)).toBe(header);
  });

  it('keeps values with = and unusual characters as they came', () => {
    expect(withoutGatewayCookies('a=b=c; tg_access=x; q="quoted value"')).toBe('a=b=c; q="quoted value"');
  });

  it.each<[string, number | string | string[] | undefined]>([
    ['only gateway cookies', '__Host-tg_access=a; __Host-tg_refresh=r; __Host-tg_csrf=c'],
    ['only gateway cookies across headers', ['tg_access=a', 'tg_refresh=r']],
    ['only separators', ' ; ;; '],
    ['an empty header', ''],
    ['no Cookie header list', []],
    ['no header', undefined],
    ['a number', 42],
  ])('leaves no header when nothing is left: %s', (_case, header) => {
    expect(withoutGatewayCookies(header)).toBeUndefined();
  });
});
