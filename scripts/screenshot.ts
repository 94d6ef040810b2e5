import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EXIT } from '../src/exit.js';

/**
 * `npm run screenshot -- <url> <out.png>`: a PNG of the page in headless chromium, 900x640 at
 * device scale 1 (e.g. docs/login-page.png).
 * `npm run screenshot -- --admin-page <gateway url> <out.png>`: the admin page of a running demo
 * stack (`npm start`) with bob's sessions, 1200x720 (docs/admin-page.png): bob (builder) signs in
 * from two browsers, alice (wonderland, an admin) from a third and searches for bob.
 * `npm run screenshot -- --forbidden-page <gateway url> <out.png>`: the 403 page of a running demo
 * stack, 900x640 (docs/forbidden-page.png): bob signs in and opens /admin, which the demo policy
 * gives to admins only.
 * Uses Debian's /usr/bin/chromium (npm run install-deps), or CHROMIUM_BIN, with the browser test
 * harness's flags (test/e2e/browser.ts).
 */

const USAGE = 'usage: node dist/scripts/screenshot.js [--admin-page | --forbidden-page] <http(s) url> <out.png>';

function usage(message: string): never {
  process.stderr.write(`screenshot: ${message}\n${USAGE}\n`);
  process.exit(EXIT.usage);
}

const args = process.argv.slice(2);
const adminPage = args[0] === '--admin-page';
const forbiddenPage = args[0] === '--forbidden-page';
if (adminPage || forbiddenPage) args.shift();
if (args.length !== 2) usage(`expected 2 arguments, got ${args.length}`);
const [rawUrl, rawOut] = args as [string, string];
let url: URL;
try {
  url = new URL(rawUrl);
} catch {
  usage(`not a URL: ${rawUrl}`);
}
if (url.protocol !== 'http:' && url.protocol !== 'https:') usage(`not an http(s) URL: ${rawUrl}`);
if (!rawOut.toLowerCase().endsWith('.png')) usage(`the output file must end in .png: ${rawOut}`);
const out = resolve(rawOut);
const viewport = adminPage ? { width: 1200, height: 720 } : { width: 900, height: 640 };

const executablePath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const browser = await chromium
  .launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    headless: true,
    timeout: 30_000,
  })
  .catch((err: unknown) => {
    process.stderr.write(`screenshot: cannot start ${executablePath} (npm run install-deps, or set CHROMIUM_BIN): ${String(err)}\n`);
    process.exit(1);
  });

const newPage = async (b: Browser): Promise<Page> => (await b.newContext({ viewport, deviceScaleFactor: 1 })).newPage();

/** Signs in through the gateway's form in a page of its own browser context. */
async function signIn(page: Page, base: URL, username: string, password: string): Promise<void> {
  await page.goto(new URL('/login', base).href, { timeout: 30_000 });
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname !== '/login', { timeout: 30_000 });
}

try {
  let page: Page;
  let target = url;
  if (adminPage) {
    for (let i = 0; i < 2; i++) await signIn(await newPage(browser), url, 'bob', 'builder');
    page = await newPage(browser);
    await signIn(page, url, 'alice', 'wonderland');
    target = new URL('/tokengate/admin?user=bob', url);
  } else if (forbiddenPage) {
    page = await newPage(browser);
    await signIn(page, url, 'bob', 'builder');
    target = new URL('/admin', url);
  } else {
    page = await newPage(browser);
  }
  const response = await page.goto(target.href, { waitUntil: 'load', timeout: 30_000 });
  if (!response) throw new Error(`no response from ${target.href}`);
  const expected = forbiddenPage ? 403 : undefined;
  if (expected !== undefined && response.status() !== expected) throw new Error(`${target.href} answered ${response.status()}, not ${expected}`);
  if (expected === undefined && !response.ok()) process.stderr.write(`screenshot: warning: ${target.href} answered ${response.status()}\n`);
  // Web fonts, if any, before the picture.
  await page.evaluate('document.fonts.ready');
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, type: 'png' });
  process.stdout.write(`screenshot: wrote ${out} (${target.href}, ${viewport.width}x${viewport.height})\n`);
} catch (err) {
  process.stderr.write(`screenshot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
