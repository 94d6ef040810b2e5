import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { toHttp } from '../errors.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import type { Logger } from '../log/logger.js';
import { adoptRequestId } from '../log/request-id.js';
import { requestFields } from '../log/request-log.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseClusterMessage, type ScrapedMessage } from './cluster-messages.js';

/** Longer than the primary's own wait for the workers, so its reason arrives first. */
const SCRAPE_TIMEOUT_MS = 3_000;

/** A worker's side of the cluster metrics: it sends the primary its own metrics when asked. */
export function shareMetrics(metrics: Metrics): void {
  process.on('message', (raw: unknown) => {
    const msg = parseClusterMessage(raw);
    if (msg?.type !== 'tokengate:collect') return;
    // Process metrics from the first scrape on, as a single signer adds them.
    void metrics
      .withProcessMetrics()
      .getMetricsAsJSON()
      .then((own) => process.send?.({ type: 'tokengate:collected', id: msg.id, metrics: own }, undefined, {}, () => undefined));
  });
}

/**
 * `GET /metrics` on a worker answers for the whole signer: the scrape lands on whichever worker
 * the connection went to, so that worker asks the primary for every worker's metrics, added up
 * (see `answerScrapes`). Every other request goes to `handler`, the app (which also answers the
 * other methods on `path` with 405, as it does without a cluster).
 */
export function withClusterMetrics(handler: RequestListener, path: string, logger: Logger): RequestListener {
  const pending = new Map<number, (msg: ScrapedMessage) => void>();
  let nextId = 0;
  process.on('message', (raw: unknown) => {
    const msg = parseClusterMessage(raw);
    if (msg?.type === 'tokengate:scraped') pending.get(msg.id)?.(msg);
  });
  const scrape = () =>
    new Promise<{ text: string; contentType: string }>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(
        () => settle({ type: 'tokengate:scraped', id, error: `the primary did not answer within ${SCRAPE_TIMEOUT_MS} ms` }),
        SCRAPE_TIMEOUT_MS,
      );
      const settle = (msg: ScrapedMessage) => {
        clearTimeout(timer);
        pending.delete(id);
        if (msg.text !== undefined && msg.contentType !== undefined) resolve({ text: msg.text, contentType: msg.contentType });
        else reject(new Error(msg.error ?? 'no metrics'));
      };
      pending.set(id, settle);
      process.send?.(
        { type: 'tokengate:scrape', id },
        undefined,
        {},
        (err: Error | null) => err && settle({ type: 'tokengate:scraped', id, error: err.message }),
      );
    });

  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || pathOf(req.url) !== path) return handler(req, res);
    const started = performance.now();
    adoptRequestId(req);
    for (let i = 0; i < SECURITY_HEADERS.length; i += 2) res.setHeader(SECURITY_HEADERS[i]!, SECURITY_HEADERS[i + 1]!);
    res.once('close', () => logger.debug(requestFields(req, path, res.statusCode, started), 'request'));
    scrape().then(
      ({ text, contentType }) => send(req, res, 200, contentType, text),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'metrics scrape failed');
        const { status, body } = toHttp(err);
        send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body));
      },
    );
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The path of a request target, without its query string. */
function pathOf(url: string | undefined): string {
  const end = url?.indexOf('?') ?? -1;
  return end === -1 ? (url ?? '') : url!.slice(0, end);
}
