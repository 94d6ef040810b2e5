import { describe, expect, it } from 'vitest';
import { appHost, nginxHost } from '../../src/front/app-host.js';

// Every row is what nginx 1.22 sent the app for that Host header (Host and X-Forwarded-Host), or
// its 400; test/e2e/forwarded-headers.test.ts sends the common ones through both fronts.
describe("the Host the app is told, as nginx's $host plus the client's port", () => {
  it.each<[string, string]>([
    ['gateway.test', 'gateway.test'],
    ['Example.COM:8080', 'example.com:8080'],
    ['example.com.', 'example.com'],
    ['Example.COM.:8080', 'example.com:8080'],
    ['[::1]:8080', '[::1]:8080'],
    ['[::1]', '[::1]'],
    ['.a.', '.a'],
    ['a.:', 'a'],
    ['a:xyz', 'a'],
    ['a:123456', 'a'],
    // The port map reads the port after the host name only, as nginx reads the host.
    ['a:80:90', 'a'],
    ['A\\B', 'a\\b'],
    ['a@b', 'a@b'],
    // An unclosed literal: nginx's $host keeps it all, and there is no port after it.
    ['[::1', '[::1'],
    // Only ASCII is lowered (ngx_strlow); other bytes go on as they came.
    ['\u00C9X', '\u00C9x'],
  ])('sends %j as %j', (header, sent) => {
    expect(appHost([header])).toEqual({ ok: true, host: sent });
  });

  it.each(['', 'a..b', ':80', 'a/b', 'a b', 'a\tb', 'a\u0000b', '.', '..', 'a\u007fb'])('refuses %j (nginx: 400)', (header) => {
    expect(nginxHost(header)).toBeUndefined();
    expect(appHost([header])).toEqual({ ok: false });
  });

  it('refuses two Host headers, even equal ones (nginx: 400)', () => {
    expect(appHost(['a', 'a'])).toEqual({ ok: false });
  });

  it('leaves the Host to the caller when there is none (HTTP/1.0)', () => {
    expect(appHost([])).toEqual({ ok: true, host: undefined });
  });
});
