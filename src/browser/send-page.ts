import type { Response } from 'express';
import { PAGE_HEADERS } from './csp.js';

/** Answers with one of the gateway's HTML pages and their strict headers. */
export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}
