/** Small helpers shared by the benchmarks: timing, percentiles and a uniform report. */
import { performance } from 'node:perf_hooks';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export async function time<T>(fn: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

export interface Comparison {
  /** What is measured, e.g. 'GET /healthz req/s'. */
  metric: string;
  infracast: number;
  baseline: number;
  baselineName: string;
  /** True when bigger is better (throughput); false for latencies and durations. */
  higherIsBetter: boolean;
  /** Human-readable target, e.g. '≥ 0.80'. */
  target?: string;
  /** Whether the target is met, when one is given. */
  met?: boolean;
}

/** Prints one line per comparison: both figures and the ratio infracast/baseline. */
export function report(rows: Comparison[]): void {
  for (const r of rows) {
    const ratio = r.infracast / r.baseline;
    const verdict = r.met === undefined ? '' : r.met ? '  [target met]' : '  [TARGET MISSED]';
    console.log(
      `${r.metric}: infracast ${fmt(r.infracast)} | ${r.baselineName} ${fmt(r.baseline)} | ratio ${ratio.toFixed(3)}` +
        (r.target ? ` (target ${r.target})` : '') +
        verdict,
    );
  }
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}
