import { describe, expect, it } from 'vitest';
import { withoutGatewayCookies } from '../../src/front/strip-cookies.js';

// The embedded front's copy of nginx's `$tokengate_cookie` maps: every expected value below is
// what nginx itself sends, as test/e2e/forwarded-headers.test.ts checks through both fronts.
describe("keeping the gateway's cookies from the app, as nginx's maps do", () => {
  it.each<[string, string, string]>([
    // nginx keeps the `; ` that followed a cookie cut from the front of the header.
    ['first', '__Host-tg_access=a; theme=dark', 'theme=dark'],
    ['in the middle', 'theme=dark; __Host-tg_refresh=r; lang=en', 'theme=dark; lang=en'],
    ['last', 'theme=dark; lang=en; __Host-tg_csrf=c', 'theme=dark; lang=en'],
    ['all three, plain spelling', 'tg_access=a; theme=dark; tg_refresh=r; lang=en; tg_csrf=c', 'theme=dark; lang=en'],
    ['without a space after the `;`', 'theme=dark;tg_access=a;lang=en', 'theme=dark;lang=en'],
    ['from several Cookie headers, joined with `; `', 'theme=dark; __Host-tg_access=a; tg_refresh=r; lang=en', 'theme=dark; lang=en'],
  ])('cuts them out %s, leaving the rest as it came', (_case, header, expected) => {
    expect(withoutGatewayCookies(header)).toBe(expected);
  });

  it.each<[string, string]>([
    ['one of ours sent twice', '__Host-tg_access=a; tg_access=b; theme=dark'],
    ['one of ours behind a leading space', ' tg_access =a;theme=dark'],
    ['nothing but ours', '__Host-tg_access=a; __Host-tg_refresh=r; __Host-tg_csrf=c'],
    ['an empty header', ''],
  ])('sends no Cookie header at all for %s', (_case, header) => {
    expect(withoutGatewayCookies(header)).toBeUndefined();
  });

  it('sends no Cookie header when the client sent none', () => {
    expect(withoutGatewayCookies(undefined)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['a name that ends with ours', 'xtg_access=1'],
    ['a name that starts with ours', 'tg_access_old=1'],
    ['another prefix', '__Secure-tg_access=1'],
    ['another case', 'TG_ACCESS=1; __host-tg_refresh=2'],
    ['our name as a value', 'theme=tg_access'],
    ['our name without a value (no token to hide)', 'tg_access; theme=dark'],
    ['only separators', ' ; ;; '],
  ])('keeps a header with no cookie of ours as it came: %s', (_case, header) => {
    expect(withoutGatewayCookies(header)).toBe(header);
  });

  it('keeps values with = and unusual characters as they came', () => {
    expect(withoutGatewayCookies('a=b=c; tg_access=x; q="quoted value"')).toBe('a=b=c; q="quoted value"');
  });
});
