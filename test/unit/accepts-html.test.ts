import { describe, expect, it } from 'vitest';
import { acceptsHtml } from '../../src/http/accepts-html.js';

describe('telling a browser navigation from an API client', () => {
  it.each([
    [
      'Chrome and Edge navigating',
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    ],
    ['Firefox navigating', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['older Firefox navigating', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'],
    ['Safari navigating', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['text/html after other ranges, with spaces', 'application/xml;q=0.9, text/html'],
    ['text/html in capitals', 'TEXT/HTML'],
    ['text/html with a small non-zero quality', 'text/html;q=0.001'],
    ['text/html with spaces around the quality', 'text/html ; q = 0.5'],
    ['text/html with another parameter before the quality', 'text/html;level=1;q=0.7'],
  ])('a browser: %s', (_case, accept) => {
    expect(acceptsHtml(accept)).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['anything (curl, fetch)', '*/*'],
    ['JSON', 'application/json'],
    ['JSON and anything', 'application/json, */*;q=0.1'],
    ['text/html refused by quality 0', 'text/html;q=0'],
    ['text/html refused by quality 0.000', 'text/html; q=0.000'],
    ['text/html refused, anything else welcome', 'text/html;q=0, */*'],
    ['text of any kind', 'text/*'],
    ['XHTML only', 'application/xhtml+xml'],
    ['a media type that only starts with text/html', 'text/htmlx'],
    ['Chrome loading an image', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'],
    ['an empty header', ''],
    ['no header', undefined],
  ])('not a browser: %s', (_case, accept) => {
    expect(acceptsHtml(accept)).toBe(false);
  });
});
