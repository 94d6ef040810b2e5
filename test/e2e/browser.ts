import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CI } from './harness.js';

/**
 * The browser end-to-end harness: Debian's chromium driven by playwright-core (which downloads no
 * browser). `npm run install-deps` installs chromium; CHROMIUM_BIN points at another binary.
 * scripts/screenshot.ts launches the same binary with the same flags.
 */

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
  return process.env.CHROMIUM_BIN || DEFAULT_CHROMIUM;
}

/** Chromium is required under CI and skipped (loudly) elsewhere without it, like nginx. */
export function browserAvailable(): boolean {
  const bin = chromiumPath();
  if (existsSync(bin)) return true;
  if (CI) throw new Error(`chromium is required under CI=true but ${bin} does not exist; .ci/run (npm run install-deps) installs it`);
  console.warn(`SKIPPING the browser end-to-end suite: ${bin} does not exist (npm run install-deps, or set CHROMIUM_BIN)`);
  return false;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Headless chromium; close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Closes the context (and its page). */
  close(): Promise<void>;
}

/** A fresh context (its own cookie jar, nothing shared with other tests) and one page in it. */
export async function newPage(browser: Browser, options: { baseURL?: string } = {}): Promise<BrowserPage> {
  const context = await browser.newContext({ ...(options.baseURL ? { baseURL: options.baseURL } : {}) });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page, close: () => context.close() };
}
