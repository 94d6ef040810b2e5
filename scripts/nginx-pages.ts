import { PAGE_HEADERS } from '../src/browser/csp.js';
import { renderForbiddenPage } from '../src/policy/forbidden-answer.js';

/**
 * The pages nginx serves itself, written into its snippets by `npm run docs` from the code that
 * renders the same pages in the signer and the embedded front: one stylesheet (PAGE_STYLE), one
 * CSP (its hash), one text. test/unit/nginx-pages.test.ts fails when a snippet has drifted.
 */

const START = '# forbidden-page:start';
const END = '# forbidden-page:end';

/** The text as an nginx single-quoted string: newlines kept as they are (nginx reads them), `\` and `'` escaped. */
export function nginxQuoted(text: string): string {
  // nginx has no escape for `$` in a return text: it would start a variable.
  if (text.includes('$')) throw new Error('a $ in an nginx string would be read as a variable');
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** `add_header` lines for the browser pages' headers (CSP with the stylesheet's hash, no-store, no framing). */
function headerLines(indent: string): string[] {
  return Object.entries(PAGE_HEADERS).map(([name, value]) => {
    if (/["\\$]/.test(value)) throw new Error(`${name}: its value cannot go in a double-quoted nginx string`);
    return `${indent}add_header ${name} "${value}" always;`;
  });
}

/** The generated lines of `location = /_tokengate/forbidden`: the type, the page headers and the page itself. */
export function forbiddenPageLines(indent = '    '): string[] {
  return [
    `${indent}${START} (npm run docs writes these lines from src/policy/forbidden-answer.ts and src/browser/csp.ts: edit those)`,
    `${indent}default_type text/html;`,
    `${indent}charset utf-8;`,
    ...headerLines(indent),
    `${indent}return 403 ${nginxQuoted(renderForbiddenPage())};`,
    `${indent}${END}`,
  ];
}

/** The snippet with its generated lines as the code has them; throws when the markers are missing. */
export function renderNginxPages(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(START));
  const end = lines.findIndex((l, i) => i > start && l.trim() === END);
  if (start === -1 || end === -1) throw new Error(`no "${START}" ... "${END}" lines`);
  const indent = /^\s*/.exec(lines[start]!)![0];
  return [...lines.slice(0, start), ...forbiddenPageLines(indent), ...lines.slice(end + 1)].join('\n');
}
