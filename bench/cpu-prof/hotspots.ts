import { z } from 'zod';

/** The parts of a V8 .cpuprofile (node --cpu-prof) the summary reads. */
const cpuProfile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      hitCount: z.number().optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
});

/** A function and the share of the busy samples (all but idle) spent in it (self time). */
export interface Hotspot {
  name: string;
  selfPct: number;
}

/** "verify (node_modules/jose/dist/...:12)": where a function is, shortened to the repository or package. */
function where(frame: { functionName: string; url: string; lineNumber: number }): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const path = frame.url.replace(/^file:\/\//, '');
  const short = path.includes('/node_modules/')
    ? path.slice(path.lastIndexOf('/node_modules/') + 14)
    : path.includes('/dist/')
      ? path.slice(path.indexOf('/dist/') + 6)
      : path;
  return `${name} (${short}:${frame.lineNumber + 1})`;
}

/**
 * The `top` functions by self time in a .cpuprofile's JSON, the same function's nodes added up, as
 * shares of the busy samples: the signer idles while the other setups are measured.
 */
export function hotspots(json: unknown, top = 12): Hotspot[] {
  const busy = cpuProfile.parse(json).nodes.filter((n) => n.callFrame.functionName !== '(idle)');
  const total = busy.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  if (total === 0) return [];
  const self = new Map<string, number>();
  for (const n of busy) self.set(where(n.callFrame), (self.get(where(n.callFrame)) ?? 0) + (n.hitCount ?? 0));
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, hits]) => ({ name, selfPct: (hits / total) * 100 }));
}
