import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';

/**
 * `npm run screenshot -- <url> <out.png>`: a PNG of the page in headless chromium, 900x640 at
 * device scale 1 (e.g. docs/login-page.png). Uses Debian's /usr/bin/chromium (npm run install-deps),
 * or CHROMIUM_BIN, with the browser test harness's flags (test/e2e/browser.ts).
 */

const USAGE = 'usage: node dist/scripts/screenshot.js <http(s) url> <out.png>';

function usage(message: string): never {
  process.stderr.write(`screenshot: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
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
try {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const response = await page.goto(url.href, { waitUntil: 'load', timeout: 30_000 });
  if (!response) throw new Error(`no response from ${url.href}`);
  if (!response.ok()) process.stderr.write(`screenshot: warning: ${url.href} answered ${response.status()}\n`);
  // Web fonts, if any, before the picture.
  await page.evaluate('document.fonts.ready');
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, type: 'png' });
  process.stdout.write(`screenshot: wrote ${out} (${url.href}, 900x640)\n`);
} catch (err) {
  process.stderr.write(`screenshot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
