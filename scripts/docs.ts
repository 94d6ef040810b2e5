import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configTable } from '../src/config/docs.js';
import { NGINX_DIR, SNIPPETS, TEMPLATE } from './stack/paths.js';

/** The files with generated blocks, relative to the repository root. */
export const GENERATED_FILES = ['README.md', 'docs/nginx-integration.md', 'docs/fronts.md'] as const;

const nginxQuote = (path: string) => ['```nginx', readFileSync(path, 'utf8').trimEnd(), '```'].join('\n');

/** Every block generated from the code, by marker name. */
export function generatedBlocks(): Record<string, string> {
  return {
    'config-table': configTable(),
    'nginx-template': nginxQuote(TEMPLATE),
    'nginx-http-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.http)),
    'nginx-server-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.server)),
    'nginx-protect-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.protect)),
    'nginx-proxy-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.proxy)),
    'nginx-protect-openresty-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.protectOpenresty)),
    'nginx-openresty-http-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.openrestyHttp)),
  };
}

const MARKER = /<!-- ([a-z-]+):start -->/g;

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` for every marker the
 * text holds; a marker without its end, or naming no block, is an error.
 */
export function renderGenerated(text: string, blocks: Record<string, string>): string {
  let out = text;
  for (const name of [...text.matchAll(MARKER)].map((m) => m[1]!)) {
    const body = blocks[name];
    if (body === undefined) throw new Error(`no generated block is called ${name}`);
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end, a);
    if (b === -1) throw new Error(`${start} has no ${end}`);
    out = `${out.slice(0, a + start.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}

/** The names of the blocks a text holds. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(MARKER)].map((m) => m[1]!);
}
