import type { Browser, ConsoleMessage, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/browser/csp.js';
import { PAGE_STYLE } from '../../src/browser/html.js';
import { renderForbiddenPage } from '../../src/policy/forbidden-answer.js';
import { browserAvailable, launchBrowser, newPage, type BrowserPage } from './browser.js';
import { FRONTS, frontAvailable, launch, type TestStack } from './harness.js';

type Style = Record<string, string>;
interface Look {
  html: Style;
  main: Style;
  h1: Style;
  links: string[];
}

/** The computed styles that make the look: the page's background, the card, the heading, and its links' colour where it has any. */
const LOOK = `(() => {
  const pick = (el, names) => Object.fromEntries(names.map((n) => [n, getComputedStyle(el)[n]]));
  return {
    html: pick(document.documentElement, ['backgroundColor', 'fontFamily', 'color']),
    main: pick(document.querySelector('main'), ['backgroundColor', 'borderTopColor', 'borderRadius', 'paddingTop']),
    h1: pick(document.querySelector('h1'), ['fontSize', 'fontWeight']),
    links: [...document.querySelectorAll('a')].map((a) => getComputedStyle(a).color),
  };
})()`;

/**
 * The sign-in page, the demo app's home page and the 403 page, in real chromium through each
 * front: one look (the one stylesheet, PAGE_STYLE, and so the same computed styles), one CSP,
 * and not one CSP violation or console error on the way. Through nginx the 403 page is the one
 * its snippet serves itself; it must be the embedded front's page to the byte.
 */
describe.skipIf(!browserAvailable()).each(FRONTS.filter(frontAvailable))('the pages in a browser share one look, through the %s front', (front) => {
  let stack: TestStack;
  let browser: Browser;
  let bob: BrowserPage;
  const console_: ConsoleMessage[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([launch(front), launchBrowser()]);
    bob = await newPage(browser);
    bob.page.on('console', (m) => console_.push(m));
    bob.page.on('pageerror', (e) => pageErrors.push(e));
  });
  afterAll(async () => {
    await bob?.close();
    await browser?.close();
    await stack?.cleanup();
  });

  /** The page's look, and what it was served with. */
  async function seen(answer: Response | null) {
    expect(answer).not.toBeNull();
    const style = await bob.page.locator('style').evaluateAll((els) => els.map((e) => e.textContent));
    return { csp: answer!.headers()['content-security-policy'], style, look: (await bob.page.evaluate(LOOK)) as Look };
  }

  let signIn: Awaited<ReturnType<typeof seen>>;

  it('the sign-in page carries the shared stylesheet under its CSP', async () => {
    signIn = await seen(await bob.page.goto(`${stack.url}/login`));
    expect(signIn.csp).toBe(PAGE_CSP);
    expect(signIn.style).toEqual([PAGE_STYLE]);
    // The stylesheet applied: the card is white on the grey page.
    expect(signIn.look.html.backgroundColor).toBe('rgb(243, 244, 246)');
    expect(signIn.look.main.backgroundColor).toBe('rgb(255, 255, 255)');
    expect(signIn.look.links).toEqual([]);
  });

  it("the demo app's home page, after signing in, looks the same", async () => {
    await bob.page.getByLabel('Username').fill('bob');
    await bob.page.getByLabel('Password').fill('builder');
    const [answer] = await Promise.all([
      bob.page.waitForResponse((r) => new URL(r.url()).pathname === '/' && r.request().method() === 'GET'),
      bob.page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await bob.page.waitForURL(`${stack.url}/`);
    await expect(bob.page.getByRole('heading').textContent()).resolves.toBe('Hello, bob');
    const home = await seen(answer);
    expect(home.csp).toBe(PAGE_CSP);
    expect(home.style).toEqual([PAGE_STYLE]);
    expect(home.look).toEqual({ ...signIn.look, links: ['rgb(29, 78, 216)', 'rgb(29, 78, 216)'] });
  });

  it('the 403 page (bob at /admin) is the one page, with the same look', async () => {
    const answer = await bob.page.goto(`${stack.url}/admin`);
    expect(answer?.status()).toBe(403);
    expect(await answer?.text()).toBe(renderForbiddenPage());
    expect(answer?.headers()['content-type']).toMatch(/^text\/html; charset=utf-8$/i);
    await expect(bob.page.getByRole('heading').textContent()).resolves.toBe('Not allowed');
    const forbidden = await seen(answer);
    expect(forbidden.csp).toBe(PAGE_CSP);
    expect(forbidden.look).toEqual({ ...signIn.look, links: ['rgb(29, 78, 216)', 'rgb(29, 78, 216)'] });
  });

  it('no page reported a CSP violation, an error or a warning', () => {
    // Chromium logs every 4xx page it loads; the 403 is the one this walk asked for.
    const expected = 'Failed to load resource: the server responded with a status of 403 (Forbidden)';
    const problems = console_.filter(
      (m) => m.text() !== expected && (m.type() === 'error' || m.type() === 'warning' || /Content Security Policy|Refused to/i.test(m.text())),
    );
    expect(console_.map((m) => m.text())).toContain(expected);
    expect(problems.map((m) => m.text())).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
