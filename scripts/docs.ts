import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { configTable } from '../src/config/docs.js';
import { cliHelp, COMMANDS, commandHelp } from '../src/cli/run.js';
import { ERROR_CODES, type Emitter } from '../src/error-codes.js';
import { metricsTable } from '../src/metrics/docs.js';
import { NGINX_DIR, ROOT, SNIPPETS, TEMPLATE } from './stack/paths.js';

/** The README and every page under docs/, relative to the repository root: the manual. */
export function manualFiles(): string[] {
  const pages = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.split(sep).join('/')}`)
    .sort();
  return ['README.md', ...pages];
}

/** The files of the manual with generated blocks (found by their markers, so a new page needs no list). */
export function generatedFiles(): string[] {
  return manualFiles().filter((name) => blockNames(readFileSync(join(ROOT, name), 'utf8')).length > 0);
}

const textQuote = (text: string) => ['```text', text.trimEnd(), '```'].join('\n');

/** `tokengate --help`, and each command's own `--help` as `cli-<command>-help`. */
function cliBlocks(): Record<string, string> {
  const commands = Object.entries(COMMANDS).map(([name, command]) => [`cli-${name}-help`, textQuote(commandHelp(command))]);
  return { 'cli-help': textQuote(cliHelp()), ...Object.fromEntries(commands) };
}

const nginxQuote = (path: string) => ['```nginx', readFileSync(path, 'utf8').trimEnd(), '```'].join('\n');

/** One location of a snippet, with the comment lines just above it, up to its closing brace at the start of a line. */
export function nginxLocation(text: string, opening: string): string {
  const at = text.indexOf(`\n${opening}\n`);
  const end = text.indexOf('\n}\n', at);
  if (at === -1 || end === -1) throw new Error(`no "${opening}" block`);
  const before = text.slice(0, at + 1).split('\n');
  let first = before.length - 1;
  while (first > 0 && before[first - 1]!.startsWith('#')) first--;
  return ['```nginx', [...before.slice(first, -1), text.slice(at + 1, end + 2)].join('\n'), '```'].join('\n');
}

const EMITTER_NAMES: Record<Emitter, string> = { signer: 'signer', embedded: 'embedded front', nginx: 'nginx' };

/** The error registry as a Markdown table, in its order (by status). */
export function errorCodesTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${e.message} | ${e.when} | ${e.emittedBy.map((x) => EMITTER_NAMES[x]).join(', ')} |`,
  );
  return ['| Code | Status | Message | When | Emitted by |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Every block generated from the code, by marker name. */
export function generatedBlocks(): Record<string, string> {
  return {
    'config-table': configTable(),
    'error-codes': errorCodesTable(),
    ...cliBlocks(),
    'metrics-table': metricsTable(),
    'nginx-template': nginxQuote(TEMPLATE),
    'nginx-http-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.http)),
    'nginx-server-snippet': nginxQuote(join(NGINX_DIR, SNIPPETS.server)),
    'nginx-admin-location': nginxLocation(readFileSync(join(NGINX_DIR, SNIPPETS.server), 'utf8'), 'location = /tokengate/admin {'),
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
