import { measure } from "mitata";

/** One figure a benchmark reports: a name as the issues use it, a value and its unit. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** What the figure is measured against, e.g. "target < 20 us" or "ohlc-resample: 41x slower". */
  note?: string;
}

/** A group of benchmarks: runs and returns its figures. */
export interface BenchGroup {
  name: string;
  run(): Promise<Figure[]>;
}

/** Median time of one call of `fn`, in microseconds (mitata, at least ~`ms` of samples). */
export async function medianMicros(fn: () => unknown, ms = 300): Promise<number> {
  const stats = await measure(fn, { min_cpu_time: ms * 1e6 });
  return stats.p50 / 1000;
}

/** Median time of one call of an async `fn`, in microseconds. */
export async function medianMicrosAsync(fn: () => Promise<unknown>, ms = 300): Promise<number> {
  const stats = await measure(async () => await fn(), { min_cpu_time: ms * 1e6, async: true } as never);
  return stats.p50 / 1000;
}

/** Wall time of one run of an async function, in ms. */
export async function wallMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
