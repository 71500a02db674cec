/**
 * The `discovery` job kind: ingest one input (Terraform state, Terraform plan
 * or AWS snapshot) into the tenant's inventory as an upsert.
 *
 * 1. read the stored input and parse it (in a worker thread when large);
 * 2. compare, with reads only: which nodes and edges are new, changed
 *    (content hash differs), unchanged, or gone from the scopes the input
 *    covers. Nothing is written yet, so a cancel or a crash here changes nothing;
 * 3. apply everything in one transaction, in batches with a checkpoint and a
 *    yield to the event loop between them, and mark the job succeeded in the
 *    same transaction. A cancel, a shutdown or a kill -9 during the apply
 *    rolls it back: the inventory is exactly as before the job, and a re-run
 *    reaches the same end state.
 */
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { IngestSource } from '../../../core/ingest/index.ts';
import type { DatabaseDialect } from '../../../platform/config.ts';
import type { Db, Executor } from '../../../platform/db/index.ts';
import type { EventBus } from '../../../platform/events.ts';
import { readJobInput } from '../../../platform/jobs/inputs.ts';
import {
  databaseFile,
  suspendAutoCheckpoint,
  withoutAutoCheckpoint,
} from '../../../platform/jobs/sqlite-checkpoint.ts';
import { ThreadError } from '../../../platform/jobs/threads.ts';
import {
  type JobContext,
  JobFailure,
  type JobHandler,
  JobInterrupted,
  type JobOutcome,
} from '../../../platform/jobs/types.ts';
import { type Clock, iso } from '../../../platform/time.ts';
import * as store from '../store.ts';
import { MAX_WARNINGS } from './session.ts';
import { openSession, type SessionClient } from './session-client.ts';
import { CONTROL_SLOTS, CONTROL_STOP, CONTROL_WRITTEN } from './sqlite-writer.ts';

export const DISCOVERY_JOB_KIND = 'discovery';

export interface DiscoveryJobDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
  /** Inputs of at least this many bytes are parsed in a worker thread (default 1 MiB). */
  threadMinBytes?: number;
  /** Nodes per write statement (default 250 on SQLite, 1,000 on PostgreSQL; 500 in the SQLite ingest thread). */
  nodeBatchSize?: number;
  /** Edges per write statement (default 500 on SQLite, 2,500 on PostgreSQL; 1,000 in the SQLite ingest thread). */
  edgeBatchSize?: number;
  /** Pause between batches, to throttle a large ingest (and, in tests, to stop one mid-run). */
  batchPauseMs?: number;
}

export interface DiscoveryCounts {
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  edges: number;
  [key: string]: number;
}

interface Plan {
  scopes: string[];
  /** Session indices of the nodes/edges to write (new or changed). */
  writeNodes: number[];
  writeEdges: number[];
  removedNodes: string[];
  removedEdges: string[];
  counts: DiscoveryCounts;
  edgeCounts: { created: number; updated: number; unchanged: number; removed: number; skipped: number };
  warnings: string[];
}

const KEY_BATCH = 2_000;
/** Above this many rows written, a SQLite commit's checkpoint is moved to a thread. */
const LARGE_WRITE_ROWS = 5_000;

export function createDiscoveryJobHandler(deps: DiscoveryJobDeps): JobHandler {
  const { db, dialect, clock, events } = deps;
  const threadMinBytes = deps.threadMinBytes ?? 1024 * 1024;
  // SQLite statements run on the event loop: batches of a few tens of milliseconds at most.
  const nodeBatchSize = deps.nodeBatchSize ?? (dialect === 'sqlite' ? 250 : 1000);
  const edgeBatchSize = deps.edgeBatchSize ?? (dialect === 'sqlite' ? 500 : 2500);
  const format = dialect === 'postgres' ? ('json' as const) : ('rows' as const);
  // better-sqlite3 runs each statement synchronously: give the event loop a turn after every batch.
  const pause = () => (deps.batchPauseMs ? sleep(deps.batchPauseMs) : yieldToEventLoop());

  const changes = (plan: Plan) =>
    plan.writeNodes.length + plan.writeEdges.length + plan.removedNodes.length + plan.removedEdges.length > 0;

  /** The write phase on the main connection (PostgreSQL, and small SQLite inputs parsed inline). */
  async function writeOnMainConnection(
    ctx: JobContext,
    session: SessionClient,
    plan: Plan,
    outcome: JobOutcome,
  ): Promise<number | null> {
    const { job } = ctx;
    const tenantId = job.tenant_id;
    const total = plan.writeNodes.length + plan.writeEdges.length + 1;
    let written = 0;
    const step = (n: number) => {
      written += n;
      ctx.progress(60 + (39 * written) / total, 'writing');
    };
    let version: number | null = null;
    const commit: { after: ((db: Executor) => Promise<void>) | null } = { after: null };
    await db
      .transaction()
      .execute(async (tx) => {
        const now = iso(clock());
        for (const ids of store.chunks(plan.removedEdges, 1000)) {
          await store.deleteByIds(tx, 'edges', tenantId, ids);
          ctx.checkpoint();
          await pause();
        }
        for (const ids of store.chunks(plan.removedNodes, 1000)) {
          await store.deleteByIds(tx, 'nodes', tenantId, ids);
          ctx.checkpoint();
          await pause();
        }
        const write = { tenantId, source: job.id, now };
        const nodeChunks = [...store.chunks(plan.writeNodes, nodeBatchSize)];
        const nodeBatches = prefetched(
          nodeChunks.length,
          (i) => session.nodeBatch(nodeChunks[i] as number[], format),
          1,
        );
        for await (const [i, batch] of nodeBatches) {
          await store.upsertNodeBatch(tx, dialect, { ...write, batch });
          step((nodeChunks[i] as number[]).length);
          ctx.checkpoint();
          await pause();
        }
        const edgeChunks = [...store.chunks(plan.writeEdges, edgeBatchSize)];
        const edgeBatches = prefetched(
          edgeChunks.length,
          (i) => session.edgeBatch(edgeChunks[i] as number[], format),
          1,
        );
        for await (const [i, batch] of edgeBatches) {
          await store.upsertEdgeBatch(tx, dialect, { ...write, batch });
          step((edgeChunks[i] as number[]).length);
          ctx.checkpoint();
          await pause();
        }
        await store.touchScopes(tx, tenantId, plan.scopes, job.source, job.id, now);
        if (changes(plan)) version = await store.bumpInventoryVersion(tx, tenantId);
        ctx.checkpoint();
        // A large SQLite commit would checkpoint the whole log synchronously; do that in a thread instead.
        if (dialect === 'sqlite' && total > LARGE_WRITE_ROWS) commit.after = await withoutAutoCheckpoint(tx);
        await ctx.complete(tx as Executor, outcome);
      })
      .catch(async (e) => {
        await commit.after?.(db);
        throw e;
      });
    await commit.after?.(db);
    return version;
  }

  /**
   * The SQLite write phase in the ingest thread, on its own connection (see
   * sqlite-writer.ts): its commit and checkpoint never run on the event loop.
   * The main connection is held idle meanwhile, so the server's other writes
   * wait for the job asynchronously rather than in SQLite's busy handler.
   */
  async function writeInThread(
    ctx: JobContext,
    session: SessionClient,
    plan: Plan,
    outcome: JobOutcome,
    file: string,
  ): Promise<number | null> {
    const { job } = ctx;
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    const stop = () => Atomics.store(control, CONTROL_STOP, 1);
    ctx.signal.addEventListener('abort', stop, { once: true });
    if (ctx.signal.aborted) stop();
    const total = Math.max(1, plan.writeNodes.length + plan.writeEdges.length);
    const progress = setInterval(() => {
      ctx.progress(60 + (39 * Atomics.load(control, CONTROL_WRITTEN)) / total, 'writing');
    }, 250);
    let resume: ((db: Executor) => Promise<void>) | null = null;
    try {
      const result = await db.connection().execute(async (conn) => {
        // The thread's commit leaves a large log: this connection must not checkpoint it at its next commit.
        resume = await suspendAutoCheckpoint(conn);
        return session.writeToSqlite(
          {
            file,
            tenantId: job.tenant_id,
            jobId: job.id,
            jobSource: job.source,
            leaseOwner: job.lease_owner as string,
            now: iso(clock()),
            scopes: plan.scopes,
            writeNodes: plan.writeNodes,
            writeEdges: plan.writeEdges,
            removedNodes: plan.removedNodes,
            removedEdges: plan.removedEdges,
            bump: changes(plan),
            outcome,
            nodeBatch: deps.nodeBatchSize,
            edgeBatch: deps.edgeBatchSize,
            pauseMs: deps.batchPauseMs,
          },
          control.buffer as SharedArrayBuffer,
        );
      });
      if (result.status === 'interrupted') {
        ctx.checkpoint();
        throw new JobInterrupted('cancelled');
      }
      if (result.status === 'lease_lost') throw new JobInterrupted('lease_lost');
      ctx.markCompleted(outcome);
      return result.version;
    } finally {
      clearInterval(progress);
      ctx.signal.removeEventListener('abort', stop);
      // The thread copies the log into the database file while the main connection serves again.
      await session.checkpointSqlite().catch(() => {});
      await (resume as ((db: Executor) => Promise<void>) | null)?.(db);
    }
  }

  return async (ctx) => {
    const { job } = ctx;
    const tenantId = job.tenant_id;
    const session = openSession(job.input_bytes >= threadMinBytes);
    // Terminating the thread stops a long parse at once instead of at its end.
    const stopThread = () => void session.abort();
    ctx.signal.addEventListener('abort', stopThread, { once: true });
    try {
      ctx.progress(1, 'reading input');
      for await (const part of readJobInput(db, job.id)) {
        await session.append(part);
        ctx.checkpoint();
      }

      ctx.progress(5, 'parsing');
      const summary = await session.parse({ source: job.source as IngestSource, jobName: job.name }).catch((e) => {
        if (ctx.signal.aborted) throw new JobInterrupted('cancelled');
        throw asInputFailure(e);
      });
      ctx.checkpoint();

      ctx.progress(30, 'comparing');
      const plan = await planChanges(db, ctx, session, summary, tenantId, pause);
      const warnings = [...summary.warnings, ...plan.warnings].slice(0, MAX_WARNINGS);
      const result = {
        skipped_documents: summary.skipped_documents,
        warnings,
        warnings_total: summary.warnings_total + plan.warnings.length,
        scopes: plan.scopes,
        edges: plan.edgeCounts,
      };

      ctx.progress(60, 'writing');
      const outcome = { counts: plan.counts, result };
      const file = dialect === 'sqlite' && session.threaded ? await databaseFile(db) : null;
      let version: number | null;
      if (file) {
        // From here the thread finishes or rolls back its own transaction: it must not be terminated.
        ctx.signal.removeEventListener('abort', stopThread);
        version = await writeInThread(ctx, session, plan, outcome, file);
      } else {
        version = await writeOnMainConnection(ctx, session, plan, outcome);
      }
      if (version !== null) events.publish('inventory.changed', { tenantId, version });
      return outcome;
    } finally {
      ctx.signal.removeEventListener('abort', stopThread);
      await session.close();
    }
  };
}

async function planChanges(
  db: Db,
  ctx: JobContext,
  session: SessionClient,
  summary: Awaited<ReturnType<SessionClient['parse']>>,
  tenantId: string,
  pause: () => Promise<unknown>,
): Promise<Plan> {
  const counts: DiscoveryCounts = { created: 0, updated: 0, unchanged: 0, removed: 0, edges: 0 };
  const edgeCounts = { created: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0 };
  const warnings: string[] = [];
  const progress = (share: number) => ctx.progress(30 + 30 * share, 'comparing');

  // What the covered scopes hold now; whatever the input does not claim is left over at the end: removed.
  const scopeNodes = await hashesInScopes(db, ctx, 'nodes', tenantId, summary.scopes, pause);
  const seenNodes = new Set<string>();
  const writeNodes: number[] = [];
  for await (const [from, keys] of prefetched(summary.nodes, (f, n) => session.nodeKeys(f, n))) {
    // Ids the scopes do not own may still exist elsewhere (another scope, or made by hand).
    const elsewhere = await store.contentHashes(
      db,
      'nodes',
      tenantId,
      keys.ids.filter((id) => !scopeNodes.has(id)),
    );
    keys.ids.forEach((id, i) => {
      seenNodes.add(id);
      const before = scopeNodes.get(id) ?? elsewhere.get(id);
      scopeNodes.delete(id);
      if (before === undefined) counts.created += 1;
      else if (before !== keys.hashes[i]) counts.updated += 1;
      else {
        counts.unchanged += 1;
        return;
      }
      writeNodes.push(from + i);
    });
    progress((from + keys.ids.length) / Math.max(1, summary.nodes) / 2);
    ctx.checkpoint();
    await pause();
  }
  const removedNodes = [...scopeNodes.keys()];
  counts.removed = removedNodes.length;
  const removedSet = new Set(removedNodes);

  // Edges may point at nodes of other inputs; those must be in the inventory (and stay there).
  const externalKnown = await store.existingNodeIds(
    db,
    tenantId,
    summary.external_ends.filter((id) => !removedSet.has(id)),
  );
  const endOk = (id: string) => seenNodes.has(id) || (externalKnown.has(id) && !removedSet.has(id));

  const scopeEdges = await hashesInScopes(db, ctx, 'edges', tenantId, summary.scopes, pause);
  const writeEdges: number[] = [];
  for await (const [from, keys] of prefetched(summary.edges, (f, n) => session.edgeKeys(f, n))) {
    const kept: number[] = [];
    keys.ids.forEach((_id, i) => {
      const source = keys.sources[i] as string;
      const target = keys.targets[i] as string;
      if (endOk(source) && endOk(target)) kept.push(i);
      else {
        edgeCounts.skipped += 1;
        if (warnings.length < MAX_WARNINGS) {
          const missing = endOk(source) ? target : source;
          warnings.push(`edge ${source} → ${target} skipped: ${missing} is not in the inventory`);
        }
      }
    });
    const elsewhere = await store.contentHashes(
      db,
      'edges',
      tenantId,
      kept.map((i) => keys.ids[i] as string).filter((id) => !scopeEdges.has(id)),
    );
    for (const i of kept) {
      const id = keys.ids[i] as string;
      counts.edges += 1;
      const before = scopeEdges.get(id) ?? elsewhere.get(id);
      scopeEdges.delete(id);
      if (before === undefined) edgeCounts.created += 1;
      else if (before !== keys.hashes[i]) edgeCounts.updated += 1;
      else {
        edgeCounts.unchanged += 1;
        continue;
      }
      writeEdges.push(from + i);
    }
    progress(0.5 + (from + keys.ids.length) / Math.max(1, summary.edges) / 2);
    ctx.checkpoint();
    await pause();
  }
  const removedEdges = [...scopeEdges.keys()];
  edgeCounts.removed = removedEdges.length;

  return {
    scopes: summary.scopes,
    writeNodes,
    writeEdges,
    removedNodes,
    removedEdges,
    counts,
    edgeCounts,
    warnings,
  };
}

/** id → content hash of everything the scopes own, read a page at a time. */
async function hashesInScopes(
  db: Db,
  ctx: JobContext,
  table: 'nodes' | 'edges',
  tenantId: string,
  scopes: string[],
  pause: () => Promise<unknown>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const scope of scopes) {
    let after: string | null = null;
    for (;;) {
      const page = await store.hashesInScope(db, table, tenantId, scope, after, KEY_BATCH);
      if (page.length === 0) break;
      for (const r of page) out.set(r.id, r.content_hash);
      after = page[page.length - 1]?.id as string;
      ctx.checkpoint();
      await pause();
    }
  }
  return out;
}

/**
 * Batches from the session, the next one requested while the caller works on
 * the current one, so the thread and the database work at the same time.
 */
export async function* prefetched<T>(
  total: number,
  fetch: (from: number, count: number) => Promise<T>,
  size = KEY_BATCH,
): AsyncGenerator<[number, T]> {
  let next: Promise<T> | null = total > 0 ? fetch(0, size) : null;
  for (let from = 0; from < total; from += size) {
    const current = await (next as Promise<T>);
    next = from + size < total ? fetch(from + size, size) : null;
    // If the caller stops early, the prefetched batch is dropped without an unhandled rejection.
    next?.catch(() => {});
    yield [from, current];
  }
}

/** A malformed document or input: the job fails with INVALID_INPUT naming the document and field. */
function asInputFailure(e: unknown): unknown {
  const err = e as Error & { document?: string | null; path?: string | null };
  const fields = e instanceof ThreadError ? e.fields : (err as unknown as Record<string, unknown>);
  if (err?.name === 'IngestError') {
    return new JobFailure('INVALID_INPUT', err.message, {
      document: (fields.document as string | null) ?? null,
      path: (fields.path as string | null) ?? null,
    });
  }
  if (err?.name === 'SyntaxError') return new JobFailure('INVALID_INPUT', `input is not valid JSON: ${err.message}`);
  return e;
}
