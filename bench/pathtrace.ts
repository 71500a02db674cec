/**
 * Path tracer benchmark: 10,000 interfaces in 100 VPCs over 5 regions,
 * 10,000 random flows.
 *
 * Baseline, same run: a plain BFS over the same topology (interfaces,
 * subnets, VPCs, transit gateways, peerings, the internet) in CSR arrays,
 * ignoring every rule: the cheapest possible "is there a path" answer. The
 * tracer does far more per query (rules, routes, return path, explanation);
 * the target is to stay within 20× of it.
 */
import { performance } from 'node:perf_hooks';
import { buildNetworkModel, exposure, trace } from '../src/core/pathtrace/index.ts';
import { generateNetwork } from './fixtures/network.ts';
import { fmt, percentile, report, rssMb, time } from './lib.ts';

/** Compressed sparse rows of an undirected graph. */
function toCsr(vertices: number, edges: [number, number][]): { offsets: Int32Array; targets: Int32Array } {
  const degree = new Int32Array(vertices + 1);
  for (const [a, b] of edges) {
    degree[a]!++;
    degree[b]!++;
  }
  const offsets = new Int32Array(vertices + 1);
  for (let v = 0; v < vertices; v++) offsets[v + 1] = offsets[v]! + degree[v]!;
  const fill = offsets.slice(0, vertices);
  const targets = new Int32Array(offsets[vertices]!);
  for (const [a, b] of edges) {
    targets[fill[a]!++] = b;
    targets[fill[b]!++] = a;
  }
  return { offsets, targets };
}

/** BFS from `from` until `to` is found; `seen` is stamped with the query number to avoid clearing. */
function bfs(
  csr: { offsets: Int32Array; targets: Int32Array },
  queue: Int32Array,
  seen: Int32Array,
  stamp: number,
  from: number,
  to: number,
): boolean {
  let head = 0;
  let tail = 0;
  queue[tail++] = from;
  seen[from] = stamp;
  while (head < tail) {
    const v = queue[head++]!;
    if (v === to) return true;
    for (let i = csr.offsets[v]!; i < csr.offsets[v + 1]!; i++) {
      const w = csr.targets[i]!;
      if (seen[w] !== stamp) {
        seen[w] = stamp;
        queue[tail++] = w;
      }
    }
  }
  return false;
}

export default async function main(): Promise<void> {
  const gen = generateNetwork({ seed: 42 });
  console.log(
    `network: ${gen.nodes.length} nodes, ${gen.instanceIds.length} instances, ${gen.flows.length} flows, BFS graph ${gen.graph.vertices} vertices / ${gen.graph.edges.length} edges`,
  );

  // Model build: once cold (pays JIT warm-up), then best of 3.
  const builds: number[] = [];
  const cold = await time(() => buildNetworkModel(gen.nodes));
  let model = cold.result;
  for (let i = 0; i < 3; i++) {
    const t = await time(() => buildNetworkModel(gen.nodes));
    builds.push(t.ms);
    model = t.result;
  }
  const csrBuild = await time(() => toCsr(gen.graph.vertices, gen.graph.edges));
  const csr = csrBuild.result;
  console.log(
    `model: ${model.enis.length} interfaces, ${model.subnets.size} subnets, ${model.sgs.size} security groups; build cold ${fmt(cold.ms)} ms, warm ${builds.map((b) => fmt(b)).join(' / ')} ms`,
  );

  // Warm up both, then time every query.
  for (let i = 0; i < 1000; i++) trace(model, gen.flows[i]!);
  const queue = new Int32Array(gen.graph.vertices);
  const seen = new Int32Array(gen.graph.vertices);
  let stamp = 0;
  for (let i = 0; i < 1000; i++) {
    const [a, b] = gen.graph.flowEnds[i]!;
    bfs(csr, queue, seen, ++stamp, a, b);
  }

  const traceMs: number[] = [];
  const dispositions = new Map<string, number>();
  let reachable = 0;
  const traceStart = performance.now();
  for (const q of gen.flows) {
    const t0 = performance.now();
    const r = trace(model, q);
    traceMs.push(performance.now() - t0);
    if (r.reachable) reachable++;
    dispositions.set(r.disposition, (dispositions.get(r.disposition) ?? 0) + 1);
  }
  const traceTotal = performance.now() - traceStart;

  const bfsMs: number[] = [];
  let bfsFound = 0;
  const bfsStart = performance.now();
  for (const [a, b] of gen.graph.flowEnds) {
    const t0 = performance.now();
    if (bfs(csr, queue, seen, ++stamp, a, b)) bfsFound++;
    bfsMs.push(performance.now() - t0);
  }
  const bfsTotal = performance.now() - bfsStart;

  traceMs.sort((x, y) => x - y);
  bfsMs.sort((x, y) => x - y);
  const traceMean = traceTotal / gen.flows.length;
  const bfsMean = bfsTotal / gen.flows.length;
  console.log(
    `flows: ${reachable} reachable; ${[...dispositions].map(([d, n]) => `${d} ${n}`).join(', ')}; BFS finds a path for ${bfsFound}`,
  );

  // Exposure over the whole network, beside one BFS from the internet vertex to everything.
  const exp = await time(() => exposure(model, { includePaths: true }));
  const bfsAll = await time(() => bfs(csr, queue, seen, ++stamp, gen.graph.internet, -1));
  console.log(
    `exposure: ${exp.result.exposed.length} exposed endpoints out of ${exp.result.examined} examined; rss ${fmt(rssMb(), 0)} MB`,
  );

  const buildBest = Math.min(...builds);
  const p99 = percentile(traceMs, 99);
  const ratio = traceMean / bfsMean;
  report([
    {
      metric: 'model build, 10k ENIs (ms)',
      infracast: buildBest,
      baseline: csrBuild.ms,
      baselineName: 'CSR build',
      higherIsBetter: false,
      target: '< 1000 ms',
      met: buildBest < 1000,
    },
    {
      metric: 'trace p50 (ms)',
      infracast: percentile(traceMs, 50),
      baseline: percentile(bfsMs, 50),
      baselineName: 'BFS p50',
      higherIsBetter: false,
    },
    {
      metric: 'trace p99 (ms)',
      infracast: p99,
      baseline: percentile(bfsMs, 99),
      baselineName: 'BFS p99',
      higherIsBetter: false,
      target: '< 5 ms',
      met: p99 < 5,
    },
    {
      metric: 'mean per query (ms)',
      infracast: traceMean,
      baseline: bfsMean,
      baselineName: 'BFS mean',
      higherIsBetter: false,
      target: 'ratio ≤ 20',
      met: ratio <= 20,
    },
    {
      metric: 'exposure, whole network (ms)',
      infracast: exp.ms,
      baseline: bfsAll.ms,
      baselineName: 'one full BFS',
      higherIsBetter: false,
      target: '< 10000 ms',
      met: exp.ms < 10_000,
    },
  ]);
}
