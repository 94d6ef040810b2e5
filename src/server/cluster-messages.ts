import { z } from 'zod';

/**
 * What the primary and its workers say to each other over the cluster's IPC channel: only the
 * metrics of `GET /metrics` (signals travel as signals). Node's own cluster messages share the
 * channel, so every message is parsed and anything else is ignored.
 */

/** A worker asks the primary for every worker's metrics, added up (it answers a scrape). */
const scrape = z.object({ type: z.literal('tokengate:scrape'), id: z.number().int() });
/** The primary's answer to `scrape`: the Prometheus text, or why there is none. */
const scraped = z.object({
  type: z.literal('tokengate:scraped'),
  id: z.number().int(),
  text: z.string().optional(),
  contentType: z.string().optional(),
  error: z.string().optional(),
});
/** The primary asks each worker for its own metrics. */
const collect = z.object({ type: z.literal('tokengate:collect'), id: z.number().int() });
/** A worker's own metrics, as prom-client's `getMetricsAsJSON()` gives them. */
const collected = z.object({ type: z.literal('tokengate:collected'), id: z.number().int(), metrics: z.array(z.looseObject({ name: z.string() })) });

const message = z.discriminatedUnion('type', [scrape, scraped, collect, collected]);

export type ClusterMessage = z.infer<typeof message>;
export type ScrapedMessage = z.infer<typeof scraped>;
export type CollectedMessage = z.infer<typeof collected>;

/** The message when it is one of ours, else undefined. */
export function parseClusterMessage(value: unknown): ClusterMessage | undefined {
  const parsed = message.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
