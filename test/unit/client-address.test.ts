import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { clientAddress, UNKNOWN_ADDRESS } from '../../src/http/client-address.js';
import { canonicalIp } from '../../src/http/ip-address.js';
import { parseTrustedProxies, type TrustedProxies } from '../../src/http/trusted-proxies.js';
import { testConfig } from '../fixtures/config.js';

function proxies(list: string): TrustedProxies {
  const parsed = parseTrustedProxies(list);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.proxies;
}

const DEFAULT = testConfig().TRUSTED_PROXIES;

/** A request as Node hands it over: the socket's peer and the headers. */
const req = (peer: string | undefined, headers: Record<string, string> = {}) => ({ socket: { remoteAddress: peer }, headers });

describe('canonicalIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::1', '::1'],
  ])('spells %s as %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each(['', 'localhost', '203.0.113.7:8080', ' 203.0.113.7', '203.0.113.07', '256.0.0.1', 'fe80::1%eth0', '[::1]', '1.2.3.4, 5.6.7.8', '::ffff:'])(
    'refuses %j',
    (text) => {
      expect(canonicalIp(text)).toBeUndefined();
    },
  );
});

describe('clientAddress', () => {
  it('takes X-Real-IP from a trusted proxy (loopback by default)', () => {
    expect(clientAddress(req('127.0.0.1', { 'x-real-ip': '203.0.113.7' }), DEFAULT)).toBe('203.0.113.7');
    expect(clientAddress(req('::1', { 'x-real-ip': '2001:db8::7' }), DEFAULT)).toBe('2001:db8::7');
  });

  it('counts an IPv4-mapped peer as its IPv4 address, for trust and for the answer', () => {
    expect(clientAddress(req('::ffff:127.0.0.1', { 'x-real-ip': '203.0.113.7' }), DEFAULT)).toBe('203.0.113.7');
    expect(clientAddress(req('::ffff:203.0.113.9'), DEFAULT)).toBe('203.0.113.9');
    expect(clientAddress(req('127.0.0.1', { 'x-real-ip': '::ffff:198.51.100.4' }), DEFAULT)).toBe('198.51.100.4');
  });

  it('ignores X-Real-IP from any other peer', () => {
    expect(clientAddress(req('198.51.100.4', { 'x-real-ip': '203.0.113.7' }), DEFAULT)).toBe('198.51.100.4');
    expect(clientAddress(req('127.0.0.1', { 'x-real-ip': '203.0.113.7' }), proxies('10.0.0.0/8'))).toBe('127.0.0.1');
  });

  it('never reads X-Forwarded-For, even from a trusted proxy', () => {
    expect(clientAddress(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), DEFAULT)).toBe('127.0.0.1');
    expect(clientAddress(req('198.51.100.4', { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' }), DEFAULT)).toBe('198.51.100.4');
  });

  it.each(['', 'not-an-ip', '203.0.113.7, 198.51.100.4', '203.0.113.7:443', 'fe80::1%eth0', '999.1.1.1'])(
    'falls back to the peer for an invalid X-Real-IP %j',
    (value) => {
      expect(clientAddress(req('127.0.0.1', { 'x-real-ip': value }), DEFAULT)).toBe('127.0.0.1');
    },
  );

  it('drops the zone of a link-local peer, and reports a vanished peer as unknown', () => {
    expect(clientAddress(req('fe80::1%eth0'), DEFAULT)).toBe('fe80::1');
    expect(clientAddress(req(undefined, { 'x-real-ip': '203.0.113.7' }), DEFAULT)).toBe(UNKNOWN_ADDRESS);
  });
});

describe('TRUSTED_PROXIES', () => {
  it('defaults to loopback, IPv4 and IPv6', () => {
    expect(DEFAULT.entries).toEqual(['127.0.0.0/8', '::1/128']);
    expect(['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1'].every((a) => DEFAULT.contains(a))).toBe(true);
    expect(['10.0.0.1', '::2', '2001:db8::1', 'localhost'].some((a) => DEFAULT.contains(a))).toBe(false);
  });

  it('reads addresses and CIDR ranges, with spaces, and IPv4-mapped entries as IPv4', () => {
    const list = proxies(' 10.0.0.0/8 , 192.0.2.1, 2001:db8::/32,::ffff:172.16.0.0/108 ');
    expect(list.entries).toEqual(['10.0.0.0/8', '192.0.2.1/32', '2001:db8::/32', '172.16.0.0/12']);
    expect(['10.9.9.9', '192.0.2.1', '2001:db8:ffff::1', '172.31.0.1'].every((a) => list.contains(a))).toBe(true);
    expect(['11.0.0.1', '192.0.2.2', '2001:db9::1', '172.32.0.1'].some((a) => list.contains(a))).toBe(false);
  });

  it('reports every bad entry at once, by its text', () => {
    const result = parseConfig({ TRUSTED_PROXIES: '10.0.0.0/33,nginx.internal,::1/129,10.0.0.0/x,127.0.0.1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.variable).toBe('TRUSTED_PROXIES');
    const message = result.problems[0]?.message ?? '';
    for (const text of [
      '"10.0.0.0/33" has a prefix length out of range (0 to 32)',
      '"nginx.internal" is not an IP address or CIDR range',
      '"::1/129" has a prefix length out of range (0 to 128)',
      '"10.0.0.0/x" has a prefix length that is not a number',
    ]) {
      expect(message).toContain(text);
    }
  });

  it('refuses a list with no entry at all', () => {
    expect(parseTrustedProxies(' , ')).toEqual({ ok: false, problems: ['must list at least one address or CIDR range, such as 127.0.0.1'] });
  });
});
