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

/**
 * A full garbage collection, when `npm run bench` exposed it (--expose-gc): one measurement's garbage must
 * not be collected in the next one's time.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchServer {
  port: number;
  headers: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts a server script from bench/servers/ in its own process (own core), waits for its {port, headers} line. */
export function startBenchServer(script: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const path = fileURLToPath(new URL(`./servers/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Never leave a server behind if the benchmark itself dies.
    process.once('exit', () => child.kill('SIGKILL'));
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const info = JSON.parse(line) as { port: number; headers: Record<string, string> };
      resolve({
        ...info,
        stop: () =>
          new Promise((r) => {
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export interface LoadResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Runs autocannon against a URL: 100 connections, pipelining 10 (as the issues specify). */
export async function load(
  url: string,
  headers: Record<string, string>,
  opts: { seconds?: number; connections?: number; pipelining?: number } = {},
): Promise<LoadResult> {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({
    url,
    headers,
    connections: opts.connections ?? 100,
    pipelining: opts.pipelining ?? 10,
    duration: opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5),
  });
  return {
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function printLoad(name: string, r: LoadResult): void {
  console.log(
    `  ${name.padEnd(44)} ${fmt(r.requestsPerSec).padStart(9)} req/s   p50 ${r.p50} ms   p99 ${r.p99} ms` +
      (r.non2xx || r.errors ? `   (non-2xx ${r.non2xx}, errors ${r.errors})` : ''),
  );
}

/**
 * Measures several targets in interleaved rounds (in a rotated order) and keeps
 * each one's median round, so a burst of load from elsewhere on the machine
 * hits every target alike instead of skewing one ratio. BENCH_ROUNDS (default
 * 5: this VM's throughput swings by a third between runs) sets the rounds.
 */
export async function interleaved(
  targets: { name: string; url: string; headers: Record<string, string> }[],
  opts: { seconds?: number; rounds?: number } = {},
): Promise<Record<string, LoadResult>> {
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 5);
  const runs: Record<string, LoadResult[]> = {};
  // Warm-up: a fresh server process compiles its hot paths in the first seconds under load.
  for (const t of targets) await load(t.url, t.headers, { seconds: 2 });
  for (let r = 0; r < rounds; r++) {
    // Rotated each round, so no target always runs right after the same one.
    const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
    for (const t of order) {
      const res = await load(t.url, t.headers, { seconds: opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 4) });
      const list = runs[t.name] ?? [];
      list.push(res);
      runs[t.name] = list;
    }
  }
  const out: Record<string, LoadResult> = {};
  for (const [name, list] of Object.entries(runs)) {
    const sorted = [...list].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
    out[name] = sorted[Math.floor(sorted.length / 2)] as LoadResult;
  }
  return out;
}
