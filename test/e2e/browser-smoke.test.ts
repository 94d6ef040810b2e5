import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, newPage } from './browser.js';

/**
 * The browser harness works, and the cookie facts the login flow relies on hold in the real
 * browser: over plain http://127.0.0.1 chromium keeps a Secure `__Host-` cookie (loopback is a
 * potentially trustworthy origin), and HttpOnly cookies round-trip without being visible to scripts.
 */
describe.skipIf(!browserAvailable())('browser smoke', () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  /** The Cookie header of each request to /seen, in order. */
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/set') {
        res.setHeader('Set-Cookie', ['__Host-session=host-value; Secure; HttpOnly; SameSite=Lax; Path=/', 'plain=plain-value; HttpOnly; SameSite=Lax; Path=/']);
      }
      if (url.pathname === '/seen') seen.push(req.headers.cookie ?? '');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!doctype html><html><head><title>tokengate smoke</title></head><body><h1>Hello</h1></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('loads a page', async () => {
    const { page, close } = await newPage(browser, { baseURL: base });
    try {
      const response = await page.goto('/');
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe('tokengate smoke');
      expect(await page.locator('h1').textContent()).toBe('Hello');
    } finally {
      await close();
    }
  });

  it('round-trips HttpOnly cookies over http://127.0.0.1, Secure __Host- included, hidden from scripts', async () => {
    const { context, page, close } = await newPage(browser, { baseURL: base });
    try {
      seen.length = 0;
      await page.goto('/set');
      await page.goto('/seen');

      const cookies = await context.cookies();
      const byName = new Map(cookies.map((c) => [c.name, c]));
      expect(byName.get('plain')).toMatchObject({ value: 'plain-value', httpOnly: true, secure: false, path: '/', domain: '127.0.0.1' });
      expect(byName.get('__Host-session')).toMatchObject({
        value: 'host-value',
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        domain: '127.0.0.1',
      });

      expect(seen).toHaveLength(1);
      const sent = (seen[0] ?? '').split('; ').sort();
      expect(sent).toEqual(['__Host-session=host-value', 'plain=plain-value']);

      // A string expression: the project's lib has no DOM types.
      expect(await page.evaluate('document.cookie')).toBe('');
    } finally {
      await close();
    }
  });

  it('gives every page a fresh cookie jar', async () => {
    const { context, close } = await newPage(browser, { baseURL: base });
    try {
      expect(await context.cookies()).toEqual([]);
    } finally {
      await close();
    }
  });
});
