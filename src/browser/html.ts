/** What each character that could end an attribute, open a tag or start an entity becomes. */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // Old IE ended unquoted attributes at a backtick; escaping it costs nothing.
  '`': '&#96;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

/**
 * The only stylesheet the browser pages carry. Its exact text is hashed into the CSP
 * (see csp.ts), so any edit here changes the policy with it and nothing else may inline style.
 */
export const PAGE_STYLE = [
  '*,*::before,*::after{box-sizing:border-box}',
  'html{font:100%/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f3f4f6}',
  'body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem}',
  'main{width:100%;max-width:24rem;background:#fff;border:1px solid #d1d5db;border-radius:.5rem;padding:2rem}',
  'h1{font-size:1.5rem;line-height:1.25;margin:0 0 1.25rem}',
  'p{margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin:0 0 .25rem}',
  'input{display:block;width:100%;font:inherit;padding:.5rem .75rem;margin:0 0 1rem;color:inherit;background:#fff;border:1px solid #6b7280;border-radius:.25rem}',
  'input[aria-invalid="true"]{border-color:#b91c1c}',
  'button{font:inherit;font-weight:600;width:100%;padding:.625rem 1rem;color:#fff;background:#1d4ed8;border:0;border-radius:.25rem;cursor:pointer}',
  'button:hover{background:#1e40af}',
  'a{color:#1d4ed8}',
  ':focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}',
  '.error{color:#7f1d1d;background:#fef2f2;border:1px solid #b91c1c;border-left-width:4px;border-radius:.25rem;padding:.75rem 1rem;margin:0 0 1rem}',
  // The admin page: a wider main, the sessions table, row buttons and the result of an action.
  'main.wide{max-width:64rem}',
  '.status{color:#14532d;background:#f0fdf4;border:1px solid #15803d;border-left-width:4px;border-radius:.25rem;padding:.75rem 1rem;margin:0 0 1rem}',
  '.row{display:flex;gap:.5rem;align-items:center;margin:0 0 1.25rem}',
  '.row input{margin:0}',
  '.row button,td button{width:auto;white-space:nowrap}',
  'table{width:100%;border-collapse:collapse;margin:0 0 1.25rem;font-size:.875rem}',
  'th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #d1d5db}',
  'td form{margin:0}',
  'code,.agent{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.8125rem;overflow-wrap:anywhere}',
  'button.danger{background:#b91c1c}',
  'button.danger:hover{background:#991b1b}',
].join('\n');

/** Wraps already-escaped body HTML in the complete document every browser page shares; `wide` for a page with a table. */
export function page(opts: { title: string; body: string; wide?: boolean }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="same-origin">',
    `<title>${escapeHtml(opts.title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    opts.wide === true ? '<main class="wide">' : '<main>',
    opts.body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
