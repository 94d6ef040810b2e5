/** The signer's resident memory at one moment of the memory run. */
export interface RssSample {
  /** Seconds since the run started. */
  atS: number;
  rssBytes: number;
}

/** Whether RSS stayed flat after the warm-up, with the figures that say so. */
export interface MemoryVerdict {
  samples: RssSample[];
  warmupS: number;
  firstHalfMiB: number;
  secondHalfMiB: number;
  minMiB: number;
  maxMiB: number;
  /** The sample furthest from the first half's mean, in % of that mean. */
  maxDeviationPct: number;
  tolerancePct: number;
  pass: boolean;
  summary: string;
}

const MiB = 2 ** 20;
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Judges the samples taken after `warmupS`: flat when every one lies within `tolerancePct` of the
 * mean of the first half of them (so a slow climb shows as the second half drifting away).
 */
export function judgeMemory(samples: readonly RssSample[], warmupS: number, tolerancePct = 10): MemoryVerdict {
  const measured = samples.filter((s) => s.atS >= warmupS && Number.isFinite(s.rssBytes)).map((s) => s.rssBytes);
  if (measured.length < 4) {
    return {
      samples: [...samples],
      warmupS,
      firstHalfMiB: NaN,
      secondHalfMiB: NaN,
      minMiB: NaN,
      maxMiB: NaN,
      maxDeviationPct: NaN,
      tolerancePct,
      pass: false,
      summary: `only ${measured.length} RSS samples after the warm-up; at least 4 are needed to judge`,
    };
  }
  const half = Math.floor(measured.length / 2);
  const first = mean(measured.slice(0, half));
  const second = mean(measured.slice(half));
  const [min, max] = [Math.min(...measured), Math.max(...measured)];
  const maxDeviationPct = (Math.max(max - first, first - min) / first) * 100;
  const pass = maxDeviationPct <= tolerancePct;
  const mib = (b: number) => (b / MiB).toFixed(1);
  const drift = ((second - first) / first) * 100;
  return {
    samples: [...samples],
    warmupS,
    firstHalfMiB: first / MiB,
    secondHalfMiB: second / MiB,
    minMiB: min / MiB,
    maxMiB: max / MiB,
    maxDeviationPct,
    tolerancePct,
    pass,
    summary: `${measured.length} samples after the ${warmupS} s warm-up: first half ${mib(first)} MiB, second half ${mib(second)} MiB (${drift >= 0 ? '+' : ''}${drift.toFixed(1)}%), min ${mib(min)}, max ${mib(max)} MiB; furthest ${maxDeviationPct.toFixed(1)}% from the first half (limit ${tolerancePct}%)`,
  };
}
