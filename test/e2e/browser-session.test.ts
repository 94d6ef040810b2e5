import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { FRONTS, frontAvailable, launch, type TestStack } from './harness.js';
import { browserAvailable, launchBrowser, newPage, type BrowserPage } from './browser.js';

// Short access tokens and no leeway, so the walk-through sees one expire and refresh silently.
const ACCESS_TTL_S = 3;

describe.skipIf(!browserAvailable()).each(FRONTS.filter(frontAvailable))('a person in a browser, through the %s front', (front) => {
  let stack: TestStack;
  let browser: Browser;
  let tab: BrowserPage;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([launch(front, { TOKEN_TTL_S: String(ACCESS_TTL_S), CLOCK_SKEW_S: '0' }), launchBrowser()]);
    tab = await newPage(browser);
  });
  afterAll(async () => {
    await tab?.close();
    await browser?.close();
    await stack?.cleanup();
  });

  const cookie = async (name: string) => (await tab.context.cookies()).find((c) => c.name === name);

  it('is sent to the sign-in form, which keeps where they were going', async () => {
    await tab.page.goto(`${stack.url}/?tab=2`);
    expect(tab.page.url()).toBe(`${stack.url}/login?return_to=${encodeURIComponent('/?tab=2')}`);
    await expect(tab.page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await expect(tab.page.locator('input[name=return_to]').inputValue()).resolves.toBe('/?tab=2');
  });

  it('sees a generic error for a wrong password and stays on the form', async () => {
    await tab.page.getByLabel('Username').fill('alice');
    await tab.page.getByLabel('Password').fill('not-her-password');
    const [answer] = await Promise.all([
      tab.page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
      tab.page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(answer.status()).toBe(401);
    await expect(tab.page.getByRole('alert').textContent()).resolves.toBe('Incorrect username or password.');
    await expect(tab.page.getByLabel('Username').inputValue()).resolves.toBe('alice');
  });

  it('signs in as alice and lands back on the original page, showing her identity', async () => {
    await tab.page.getByLabel('Password').fill('wonderland');
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await tab.page.waitForURL(`${stack.url}/?tab=2`);
    await expect(tab.page.getByRole('heading').textContent()).resolves.toBe('Hello, alice');
    await expect(tab.page.locator('#roles').textContent()).resolves.toBe('admin, user');
  });

  it('holds the session in HttpOnly, Secure, __Host- cookies that scripts cannot read', async () => {
    expect(await cookie('__Host-tg_access')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(await cookie('__Host-tg_refresh')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    await expect(tab.page.evaluate('document.cookie')).resolves.toBe('');
  });

  it('keeps working after the access token expires: the next page load refreshes both cookies silently', async () => {
    const before = { access: (await cookie('__Host-tg_access'))?.value, refresh: (await cookie('__Host-tg_refresh'))?.value };
    await new Promise((r) => setTimeout(r, (ACCESS_TTL_S + 1) * 1000));
    expect(await cookie('__Host-tg_access')).toBeUndefined(); // the browser dropped it at Max-Age
    const answer = await tab.page.reload();
    expect(answer?.status()).toBe(200);
    expect(tab.page.url()).toBe(`${stack.url}/?tab=2`);
    await expect(tab.page.getByRole('heading').textContent()).resolves.toBe('Hello, alice');
    const setCookies = (await answer!.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value.split('=')[0]);
    expect(setCookies.sort()).toEqual(['__Host-tg_access', '__Host-tg_refresh']);
    const after = { access: (await cookie('__Host-tg_access'))?.value, refresh: (await cookie('__Host-tg_refresh'))?.value };
    expect(after.access).toBeDefined();
    expect(after.refresh).toBeDefined();
    expect(after.access).not.toBe(before.access);
    expect(after.refresh).not.toBe(before.refresh);
  });

  it('signs out through the confirmation form; the cookies are gone', async () => {
    await tab.page.getByRole('link', { name: 'Sign out' }).click();
    await tab.page.waitForURL(`${stack.url}/logout`);
    await tab.page.getByRole('button', { name: 'Sign out' }).click();
    await expect(tab.page.getByRole('heading').textContent()).resolves.toBe('You have signed out.');
    expect(await cookie('__Host-tg_access')).toBeUndefined();
    expect(await cookie('__Host-tg_refresh')).toBeUndefined();
  });

  it('is sent to the sign-in form again when opening the protected page', async () => {
    await tab.page.goto(`${stack.url}/`);
    expect(tab.page.url()).toBe(`${stack.url}/login`);
    await expect(tab.page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
  });
});
