import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { nginxRefusal } from '../../src/front/refuse-like-nginx.js';

const request = (method: string, version: string, rawHeaders: string[]) => {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return { method, httpVersionMajor: major, httpVersionMinor: minor, rawHeaders };
};

// What nginx 1.22 answered, before choosing a location, to each of these requests.
describe('requests the embedded front refuses before routing, as nginx does', () => {
  it.each<[string, string, string, string[], ErrorCode]>([
    ['TRACE', 'TRACE', '1.1', ['Host', 'a'], 'method_not_allowed'],
    ['TRACE over HTTP/1.0', 'TRACE', '1.0', [], 'method_not_allowed'],
    ['an HTTP/1.1 request without Host', 'GET', '1.1', [], 'invalid_request'],
    ['TRACE without Host: the Host check comes first', 'TRACE', '1.1', [], 'invalid_request'],
    ['two Host headers', 'GET', '1.1', ['Host', 'a', 'host', 'a'], 'invalid_request'],
    ['an empty Host', 'GET', '1.1', ['Host', ''], 'invalid_request'],
    ['an empty Host over HTTP/1.0', 'GET', '1.0', ['Host', ''], 'invalid_request'],
    ['a Host with `..`', 'GET', '1.1', ['Host', 'a..b'], 'invalid_request'],
    ['a Transfer-Encoding other than chunked', 'POST', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip'], 'not_implemented'],
    ['gzip, then chunked', 'POST', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'], 'not_implemented'],
    ['chunked over HTTP/1.0', 'POST', '1.0', ['Host', 'a', 'Transfer-Encoding', 'chunked'], 'invalid_request'],
    ['HTTP/2.0 on a plain request line', 'GET', '2.0', ['Host', 'a'], 'http_version_not_supported'],
    ['HTTP/0.9 with headers', 'GET', '0.9', ['Host', 'a'], 'invalid_request'],
  ])('refuses %s', (_case, method, version, headers, code) => {
    expect(nginxRefusal(request(method, version, headers))).toBe(code);
  });

  it.each<[string, string, string, string[]]>([
    ['a plain GET', 'GET', '1.1', ['Host', 'a']],
    ['HTTP/1.0 without Host', 'GET', '1.0', []],
    ['chunked in any case', 'POST', '1.1', ['Host', 'a', 'Transfer-Encoding', 'Chunked']],
    ['a method nginx does not know', 'PROPFIND', '1.1', ['Host', 'a']],
  ])('lets %s on', (_case, method, version, headers) => {
    expect(nginxRefusal(request(method, version, headers))).toBeUndefined();
  });
});
