/**
 * Runs a large tenant's rule evaluation in a worker thread (evaluation-thread.ts), which reads the graph on a
 * connection of its own. What comes back is small next to the graph: the failures, as JSON chunks that the
 * main thread parses one per event-loop turn. The reconciliation with the findings table stays on the main
 * connection.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EvaluationResult, RuleFailure, RuleResult } from '../../core/rules/index.ts';
import { startThread, type Thread, ThreadError } from '../../platform/jobs/threads.ts';

/** How the thread reaches the database: the SQLite file, or PostgreSQL's URL and the schema in use. */
export type EvaluationConnection =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'postgres'; url: string; schema: string };

/** Where one JSON array chunk lies in the answer's `bytes`: [start, end). */
export type ChunkSpan = [number, number];

/**
 * The thread's answer: its lists as JSON array chunks, UTF-8 in one transferred buffer (no copy, and no
 * structured clone of 100k objects).
 */
export interface ThreadedEvaluation {
  inventory_version: number;
  resources_evaluated: number;
  bytes: ArrayBuffer;
  node_ids: ChunkSpan[];
  results: {
    rule_id: string;
    evaluated: number;
    evaluated_by_type: Record<string, number>;
    skipped_node_ids: ChunkSpan[];
    failures: ChunkSpan[];
  }[];
}

const ENTRY = new URL('./evaluation-thread.ts', import.meta.url);

/** One thread per process, started on first use; idle, it does not keep the process alive. */
let thread: Thread | null = null;

/** Evaluations answered by the thread in this process (tests check which path ran). */
export const evaluationThreadStats = { evaluations: 0 };

/** Decodes and parses JSON array chunks, handing each item to `add`, a chunk per event-loop turn. */
async function unpackInto<T>(bytes: Uint8Array, spans: readonly ChunkSpan[], add: (item: T) => void): Promise<void> {
  const decoder = new TextDecoder();
  for (const [start, end] of spans) {
    for (const item of JSON.parse(decoder.decode(bytes.subarray(start, end))) as T[]) add(item);
    await yieldToEventLoop();
  }
}

async function unpack<T>(bytes: Uint8Array, spans: readonly ChunkSpan[]): Promise<T[]> {
  const out: T[] = [];
  await unpackInto<T>(bytes, spans, (item) => out.push(item));
  return out;
}

/**
 * Reads the tenant's graph (its nodes, and its edges of `edgeTypes`) in one snapshot and evaluates it, in the thread. Null when the tenant is gone.
 * `inventory_version` is the version the graph was read at.
 */
export async function evaluateInThread(
  connection: EvaluationConnection,
  tenantId: string,
  edgeTypes: readonly string[],
): Promise<{ inventory_version: number; result: EvaluationResult } | null> {
  const current = thread ?? startThread(ENTRY);
  thread = current;
  let answer: ThreadedEvaluation | null;
  try {
    answer = await current.call<ThreadedEvaluation | null>('evaluate', { connection, tenantId, edgeTypes });
  } catch (e) {
    // An error thrown by the evaluation leaves the thread serving; a dead thread is replaced next time.
    if (!(e instanceof ThreadError) && thread === current) thread = null;
    throw e;
  }
  evaluationThreadStats.evaluations++;
  if (!answer) return null;
  const bytes = new Uint8Array(answer.bytes);
  const results: RuleResult[] = [];
  for (const r of answer.results) {
    results.push({
      rule_id: r.rule_id,
      evaluated: r.evaluated,
      evaluated_by_type: r.evaluated_by_type,
      skipped_node_ids: await unpack<string>(bytes, r.skipped_node_ids),
      failures: await unpack<RuleFailure>(bytes, r.failures),
    });
  }
  const nodeIds = new Set<string>();
  await unpackInto<string>(bytes, answer.node_ids, (id) => nodeIds.add(id));
  return {
    inventory_version: answer.inventory_version,
    result: { results, resources_evaluated: answer.resources_evaluated, node_ids: nodeIds },
  };
}

/** Stops the thread (tests; a process exiting need not: an idle thread does not hold it). */
export async function closeEvaluationThread(): Promise<void> {
  const current = thread;
  thread = null;
  await current?.close();
}
