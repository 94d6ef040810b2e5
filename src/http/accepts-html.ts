/** A media range naming `text/html` (or `*\/*` is not enough: API clients send that too). */
const HTML_RANGE = /^\s*text\/html\s*(?:;(.*))?$/i;

/**
 * Whether the client is a browser navigating: its `Accept` lists `text/html` with a non-zero
 * quality. Such clients get pages and redirects; everything else gets JSON and status codes.
 */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((range) => {
    const m = HTML_RANGE.exec(range);
    if (!m) return false;
    const q = /(?:^|;)\s*q\s*=\s*([0-9.]+)/i.exec(m[1] ?? '');
    return q === null || Number(q[1]) > 0;
  });
}
