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
import type { Database, Db, Executor } from '../../../platform/db/index.ts';
import type { BulkTransaction } from '../../../platform/db/pg-bulk.ts';
import type { JobRow } from '../../../platform/db/schema.ts';
import { databaseFile, isForeignKeyViolation } from '../../../platform/db/sql.ts';
import type { EventBus } from '../../../platform/events.ts';
import type { JobInputStore } from '../../../platform/jobs/inputs.ts';
import { ThreadError } from '../../../platform/jobs/threads.ts';
import {
  type JobContext,
  JobFailure,
  type JobHandler,
  JobInterrupted,
  type JobOutcome,
} from '../../../platform/jobs/types.ts';
import { recordEvents } from '../../../platform/outbox.ts';
import { type Clock, iso } from '../../../platform/time.ts';
import { EDGE_COLUMNS, NODE_COLUMNS } from '../bulk-sql.ts';
import * as store from '../store.ts';
import { parserVersion } from './parser-version.ts';
import { type Plan, type PlanReader, planChanges, planChangesInventory, prefetched } from './plan.ts';
import { type Batch, type IngestSummary, MAX_WARNINGS } from './session.ts';
import { openSession, type SessionClient } from './session-client.ts';
import { CONTROL_PROGRESS, CONTROL_SLOTS, CONTROL_STOP, CONTROL_WRITTEN } from './sqlite-writer.ts';

export const DISCOVERY_JOB_KIND = 'discovery';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

export interface DiscoveryJobDeps {
  db: Db;
  /** Holds the server's own writes while the ingest thread writes (Database.exclusiveWrites). */
  exclusiveWrites: Database['exclusiveWrites'];
  dialect: DatabaseDialect;
  /** PostgreSQL: a transaction that can COPY; new nodes and edges go in that way. */
  bulkTransaction?: BulkTransaction | null;
  clock: Clock;
  events: EventBus;
  inputs: JobInputStore;
  /** Inputs of at least this many bytes are parsed in a worker thread (default 1 MiB). */
  threadMinBytes?: number;
  /** Nodes per batch (default 250 on SQLite, 1,000 on PostgreSQL; 500 between stop checks in the SQLite ingest thread). */
  nodeBatchSize?: number;
  /** Edges per batch (default 500 on SQLite, 2,500 on PostgreSQL; 1,000 between stop checks in the SQLite ingest thread). */
  edgeBatchSize?: number;
  /** Pause between batches, to throttle a large ingest (and, in tests, to stop one mid-run). */
  batchPauseMs?: number;
  /** Runs between the compare and the write (tests: change the inventory there). */
  beforeWrite?: (job: JobRow) => Promise<void>;
}

const KEY_BATCH = 2_000;
/** Succeeded jobs of the tenant looked at for one with the same content digest (see reuseSameContent). */
const SAME_CONTENT_LOOKBACK = 20;
/** Compares made for one write before giving up, should nodes keep disappearing under it. */
const MAX_PLANS = 3;

/** The write committed (and bumped the inventory version to `version`, if anything changed), or found edge ends gone. */
type Written = { version: number | null } | { missing: string[] };
/** Rows per COPY on PostgreSQL (a few MB of text; the stop check runs between them). */
const COPY_NODE_BATCH = 5_000;
const COPY_EDGE_BATCH = 20_000;

export function createDiscoveryJobHandler(deps: DiscoveryJobDeps): JobHandler {
  const { db, dialect, clock, events } = deps;
  const threadMinBytes = deps.threadMinBytes ?? 1024 * 1024;
  // SQLite statements run on the event loop: batches of a few tens of milliseconds at most.
  const nodeBatchSize = deps.nodeBatchSize ?? (dialect === 'sqlite' ? 250 : 1000);
  const edgeBatchSize = deps.edgeBatchSize ?? (dialect === 'sqlite' ? 500 : 2500);
  const format = dialect === 'postgres' ? ('json' as const) : ('rows' as const);
  // A throttled ingest (batchPauseMs) is paced by its batches: COPY in the regular sizes then.
  const copyNodeBatch = deps.batchPauseMs ? nodeBatchSize : COPY_NODE_BATCH;
  const copyEdgeBatch = deps.batchPauseMs ? edgeBatchSize : COPY_EDGE_BATCH;
  // better-sqlite3 runs each statement synchronously: give the event loop a turn after every batch.
  const pause = () => (deps.batchPauseMs ? sleep(deps.batchPauseMs) : yieldToEventLoop());

  const changes = planChangesInventory;

  /** The database as the compare step reads it on the main connection, a page at a time. */
  const mainReader = (ctx: JobContext, tenantId: string): PlanReader => ({
    async scopeHashes(table, scope, out) {
      let after: string | null = null;
      for (;;) {
        const page = await store.hashesInScope(db, table, tenantId, scope, after, KEY_BATCH);
        if (page.length === 0) return;
        for (const r of page) out.set(r.id, r.content_hash);
        after = page[page.length - 1]?.id as string;
        ctx.checkpoint();
        await pause();
      }
    },
    anyOutside: (table, scopes) => store.anyOutsideScopes(db, table, tenantId, scopes),
    hashesOf: (table, ids) => store.contentHashes(db, table, tenantId, ids),
    existingNodeIds: (ids) => store.existingNodeIds(db, tenantId, ids),
  });

  /** Large SQLite inputs: the compare runs in the ingest thread, on a read connection of its own. */
  async function planInThread(
    ctx: JobContext,
    session: SessionClient,
    summary: IngestSummary,
    file: string,
  ): Promise<Plan> {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    const stop = () => Atomics.store(control, CONTROL_STOP, 1);
    ctx.signal.addEventListener('abort', stop, { once: true });
    if (ctx.signal.aborted) stop();
    const progress = setInterval(() => {
      ctx.progress(30 + (30 * Atomics.load(control, CONTROL_PROGRESS)) / 1000, 'comparing');
    }, 250);
    try {
      const result = await session.planSqlite(
        { file, tenantId: ctx.job.tenant_id, summary, pauseMs: deps.batchPauseMs },
        control.buffer as SharedArrayBuffer,
      );
      if (result.status === 'interrupted') {
        ctx.checkpoint();
        throw new JobInterrupted('cancelled');
      }
      return result.plan;
    } finally {
      clearInterval(progress);
      ctx.signal.removeEventListener('abort', stop);
    }
  }

  /**
   * The write phase on the main connection (PostgreSQL, and small SQLite inputs
   * parsed inline). On PostgreSQL the rows the compare found new go in by COPY;
   * should one of them have appeared since (a node created by hand meanwhile),
   * the transaction rolls back and the write is done again with upserts only.
   */
  async function writeOnMainConnection(
    ctx: JobContext,
    session: SessionClient,
    plan: Plan,
    outcome: JobOutcome,
  ): Promise<Written> {
    try {
      if (deps.bulkTransaction) {
        try {
          return { version: await writeMain(ctx, session, plan, outcome, deps.bulkTransaction) };
        } catch (e) {
          if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
        }
      }
      return { version: await writeMain(ctx, session, plan, outcome, null) };
    } catch (e) {
      // An edge end deleted since the compare: the transaction rolled back.
      if (isForeignKeyViolation(e)) return { missing: [] };
      throw e;
    }
  }

  async function writeMain(
    ctx: JobContext,
    session: SessionClient,
    plan: Plan,
    outcome: JobOutcome,
    bulk: BulkTransaction | null,
  ): Promise<number | null> {
    const { job } = ctx;
    const tenantId = job.tenant_id;
    const total = plan.sizes.writeNodes + plan.sizes.writeEdges + 1;
    let written = 0;
    const step = (n: number) => {
      written += n;
      ctx.progress(60 + (39 * written) / total, 'writing');
    };
    const transaction: BulkTransaction = bulk ?? ((fn) => db.transaction().execute((tx) => fn(tx, null)));
    let version: number | null = null;
    await transaction(async (tx, copy) => {
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
      /** Each chunk's batch from the session (fetched one ahead), written, then a stop check and a yield. */
      const inBatches = async (
        indices: number[],
        size: number,
        fetch: (chunk: number[]) => Promise<Batch>,
        put: (batch: Batch) => Promise<unknown>,
      ) => {
        const chunks = [...store.chunks(indices, size)];
        for await (const [i, batch] of prefetched(chunks.length, (i) => fetch(chunks[i] as number[]), 1)) {
          await put(batch);
          step((chunks[i] as number[]).length);
          ctx.checkpoint();
          await pause();
        }
      };
      // The new ones come first in writeNodes / writeEdges (plan.ts); with COPY they go in that way.
      const newNodes = copy ? plan.sizes.newNodes : 0;
      const newEdges = copy ? plan.sizes.newEdges : 0;
      if (copy) {
        await inBatches(
          plan.writeNodes.slice(0, newNodes),
          copyNodeBatch,
          (chunk) => session.nodeBatch(chunk, 'copy', write),
          (text) => copy('nodes', NODE_COLUMNS, text as string),
        );
      }
      await inBatches(
        plan.writeNodes.slice(newNodes),
        nodeBatchSize,
        (chunk) => session.nodeBatch(chunk, format),
        (batch) => store.upsertNodeBatch(tx, dialect, { ...write, batch }),
      );
      if (copy) {
        await inBatches(
          plan.writeEdges.slice(0, newEdges),
          copyEdgeBatch,
          (chunk) => session.edgeBatch(chunk, 'copy', write),
          (text) => copy('edges', EDGE_COLUMNS, text as string),
        );
      }
      await inBatches(
        plan.writeEdges.slice(newEdges),
        edgeBatchSize,
        (chunk) => session.edgeBatch(chunk, format),
        (batch) => store.upsertEdgeBatch(tx, dialect, { ...write, batch }),
      );
      await store.touchScopes(tx, tenantId, plan.scopes, job.source, job.id, now);
      if (changes(plan)) version = await store.bumpInventoryVersion(tx, tenantId);
      if (version !== null) {
        await recordEvents(tx as Executor, [{ event: 'inventory.changed', payload: { tenantId, version } }], now);
      }
      ctx.checkpoint();
      withVersion(outcome, version ?? (await store.inventoryVersion(tx, tenantId)) ?? 0);
      await ctx.complete(tx as Executor, outcome);
    });
    return version;
  }

  /**
   * The SQLite write phase in the ingest thread, on its own connection (see
   * sqlite-writer.ts): its commit and checkpoint never run on the event loop.
   * The server's own writes wait for it meanwhile, asynchronously rather than
   * in SQLite's busy handler; its reads go on, on the read connection.
   */
  async function writeInThread(
    ctx: JobContext,
    session: SessionClient,
    plan: Plan,
    outcome: JobOutcome,
    file: string,
  ): Promise<Written> {
    const { job } = ctx;
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    const stop = () => Atomics.store(control, CONTROL_STOP, 1);
    ctx.signal.addEventListener('abort', stop, { once: true });
    if (ctx.signal.aborted) stop();
    const total = Math.max(1, plan.sizes.writeNodes + plan.sizes.writeEdges);
    const progress = setInterval(() => {
      ctx.progress(60 + (39 * Atomics.load(control, CONTROL_WRITTEN)) / total, 'writing');
    }, 250);
    try {
      const result = await deps.exclusiveWrites(() =>
        session.writeToSqlite(
          {
            file,
            tenantId: job.tenant_id,
            jobId: job.id,
            jobSource: job.source,
            jobKind: job.kind,
            leaseOwner: job.lease_owner as string,
            now: iso(clock()),
            scopes: plan.scopes,
            writeNodes: plan.writeNodes,
            writeEdges: plan.writeEdges,
            removedNodes: plan.removedNodes,
            removedEdges: plan.removedEdges,
            newNodes: plan.sizes.newNodes,
            newEdges: plan.sizes.newEdges,
            bump: changes(plan),
            held: plan.held,
            outcome,
            nodeBatch: deps.nodeBatchSize,
            edgeBatch: deps.edgeBatchSize,
            pauseMs: deps.batchPauseMs,
          },
          control.buffer as SharedArrayBuffer,
        ),
      );
      if (result.status === 'interrupted') {
        ctx.checkpoint();
        throw new JobInterrupted('cancelled');
      }
      if (result.status === 'lease_lost') throw new JobInterrupted('lease_lost');
      if (result.status === 'ends_changed') return { missing: result.missing };
      ctx.markCompleted(withVersion(outcome, result.inventoryVersion));
      return { version: result.version };
    } finally {
      clearInterval(progress);
      ctx.signal.removeEventListener('abort', stop);
      // The thread copies the log into the database file while the main connection serves again.
      await session.checkpointSqlite().catch(() => {});
    }
  }

  /** An earlier job's outcome, counted as unchanged (what a compare against an untouched inventory finds). */
  function asUnchanged(counts: Record<string, number>, before: Record<string, unknown>) {
    const edges = (before.edges ?? {}) as Record<string, number>;
    const sum = (o: Record<string, number>) => (o.created ?? 0) + (o.updated ?? 0) + (o.unchanged ?? 0);
    return {
      counts: { created: 0, updated: 0, unchanged: sum(counts), removed: 0, edges: counts.edges ?? 0 },
      edges: { created: 0, updated: 0, unchanged: sum(edges), removed: 0, skipped: edges.skipped ?? 0 },
    };
  }

  /** Completes the job with `outcome` if the inventory is still at `version`, marking its scopes seen. */
  function completeUnchanged(ctx: JobContext, version: number, scopes: string[], outcome: JobOutcome) {
    const { job } = ctx;
    return db.transaction().execute(async (tx) => {
      // Checked in the transaction that completes the job: nothing may change the inventory in between.
      if ((await store.inventoryVersion(tx, job.tenant_id)) !== version) return null;
      await store.touchScopes(tx, job.tenant_id, scopes, job.source, job.id, iso(clock()));
      await ctx.complete(tx as Executor, outcome);
      return outcome;
    });
  }

  /**
   * An input byte-for-byte equal to that of an earlier job, with the inventory
   * unchanged since that job committed (same version), would be parsed and
   * compared only to find every resource unchanged: reuse that job's outcome,
   * counted as unchanged, and mark its scopes seen by this job.
   */
  async function reuseSameInput(ctx: JobContext): Promise<JobOutcome | null> {
    const { job } = ctx;
    if (!job.input_sha256) return null;
    const earlier = await store.latestSameInputJob(db, { ...job, input_sha256: job.input_sha256 });
    const before = earlier?.result ? (JSON.parse(earlier.result) as Record<string, unknown>) : null;
    if (!earlier || !before || typeof before.inventory_version !== 'number') return null;
    // Made by other parsing code (an upgrade): the same bytes may make other rows now.
    if (before.parser_version !== parserVersion()) return null;
    const { counts, edges } = asUnchanged(JSON.parse(earlier.counts) as Record<string, number>, before);
    const { same_content_as: _c, same_state_as: _s, ...result } = before;
    const outcome: JobOutcome = { counts, result: { ...result, edges, same_input_as: earlier.id } };
    const scopes = Array.isArray(before.scopes) ? (before.scopes as string[]) : [];
    return completeUnchanged(ctx, before.inventory_version, scopes, outcome);
  }

  /**
   * Other bytes, the same rows: an input that a recent job's digest says makes the rows that job
   * made, with the inventory unchanged since (the same version), needs no compare. Only when that
   * job skipped no edge (its warnings about them are its own). `matches` picks the job by its
   * result; `resultOf` makes this job's result from that job's result and id.
   */
  async function reuseRecent(
    ctx: JobContext,
    matches: (before: Record<string, unknown>) => boolean,
    resultOf: (before: Record<string, unknown>, earlierId: string, version: number) => Record<string, unknown>,
  ): Promise<JobOutcome | null> {
    const { job } = ctx;
    const version = await store.inventoryVersion(db, job.tenant_id);
    if (version === null) return null;
    for (const earlier of await store.recentSucceededJobs(db, job.tenant_id, job.kind, job.id, SAME_CONTENT_LOOKBACK)) {
      const before = earlier.result ? (JSON.parse(earlier.result) as Record<string, unknown>) : null;
      if (!before || before.inventory_version !== version || !matches(before)) continue;
      const { counts, edges } = asUnchanged(JSON.parse(earlier.counts) as Record<string, number>, before);
      if (edges.skipped > 0) return null;
      const result: Record<string, unknown> = { ...resultOf(before, earlier.id, version), edges };
      const scopes = Array.isArray(result.scopes) ? (result.scopes as string[]) : [];
      return completeUnchanged(ctx, version, scopes, { counts, result });
    }
    return null;
  }

  /**
   * A new serial of a Terraform state whose resources did not change (a refresh, an apply that
   * changed only outputs): its digest without the serial (state-digest.ts) is a recent job's, so
   * the parse is skipped too. That job's result stands for this one's.
   */
  function reuseSameState(ctx: JobContext, stateSha256: string): Promise<JobOutcome | null> {
    return reuseRecent(
      ctx,
      // By the parser version the result names as well (the digest covers it too).
      (before) => before.state_sha256 === stateSha256 && before.parser_version === parserVersion(),
      (before, earlierId) => {
        const { same_content_as: _c, same_input_as: _i, same_state_as: _s, ...result } = before;
        return { ...result, same_state_as: earlierId };
      },
    );
  }

  /** Once parsed, an input whose content digest (the rows it makes) is a recent job's. */
  function reuseSameContent(
    ctx: JobContext,
    summary: IngestSummary,
    stateSha256: string | null,
  ): Promise<JobOutcome | null> {
    return reuseRecent(
      ctx,
      (before) => before.content_sha256 === summary.content_sha256,
      (_before, earlierId, version) => ({
        skipped_documents: summary.skipped_documents,
        warnings: summary.warnings,
        warnings_total: summary.warnings_total,
        scopes: summary.scopes,
        content_sha256: summary.content_sha256,
        ...digests(stateSha256),
        inventory_version: version,
        same_content_as: earlierId,
      }),
    );
  }

  /** What later jobs compare their input against: the parsing code, and a state's digest without its serial. */
  function digests(stateSha256: string | null): Record<string, string> {
    return { parser_version: parserVersion(), ...(stateSha256 === null ? {} : { state_sha256: stateSha256 }) };
  }

  return async (ctx) => {
    const { job } = ctx;
    const tenantId = job.tenant_id;
    const reused = await reuseSameInput(ctx);
    if (reused) return reused;
    const session = openSession(job.input_bytes >= threadMinBytes);
    // Terminating the thread stops a long parse at once instead of at its end.
    const stopThread = () => void session.abort();
    ctx.signal.addEventListener('abort', stopThread, { once: true });
    try {
      ctx.progress(1, 'reading input');
      const stored = await deps.inputs.open(db, job.id);
      if ('file' in stored) await session.appendFile(stored.file);
      else {
        for await (const part of stored.parts) {
          await session.append(part);
          ctx.checkpoint();
        }
      }
      ctx.checkpoint();
      const stateSha256 =
        job.source === 'terraform_state' ? await session.stateDigest(job.name, parserVersion()) : null;
      if (stateSha256 !== null) {
        const sameState = await reuseSameState(ctx, stateSha256);
        if (sameState) return sameState;
      }
      ctx.progress(5, 'parsing');
      const summary = await session.parse({ source: job.source as IngestSource, jobName: job.name }).catch((e) => {
        // The thread was stopped because the job was: for the reason the runner gave (a shutdown hands the
        // job back to the queue; only a cancel ends it).
        if (ctx.signal.aborted) {
          ctx.checkpoint();
          throw new JobInterrupted('cancelled');
        }
        throw asInputFailure(e);
      });
      ctx.checkpoint();
      const sameContent = await reuseSameContent(ctx, summary, stateSha256);
      if (sameContent) return sameContent;
      ctx.progress(30, 'comparing');
      const file = dialect === 'sqlite' && session.threaded ? await databaseFile(db) : null;
      const planOnMain = (s: IngestSummary) =>
        planChanges(
          s,
          session,
          mainReader(ctx, tenantId),
          {
            checkpoint: () => ctx.checkpoint(),
            pause,
            progress: (share) => ctx.progress(30 + 30 * share, 'comparing'),
          },
          KEY_BATCH,
        );
      let plan = file ? await planInThread(ctx, session, summary, file) : await planOnMain(summary);
      const outcomeOf = (p: Plan): JobOutcome => ({
        counts: p.counts,
        result: {
          skipped_documents: summary.skipped_documents,
          warnings: [...summary.warnings, ...p.warnings].slice(0, MAX_WARNINGS),
          warnings_total: summary.warnings_total + p.warnings.length,
          scopes: p.scopes,
          edges: p.edgeCounts,
          content_sha256: summary.content_sha256,
          ...digests(stateSha256),
        },
      });
      // From here a threaded SQLite write finishes or rolls back its own transaction: the thread must not be
      // terminated.
      if (file) ctx.signal.removeEventListener('abort', stopThread);
      for (let attempt = 1; ; attempt++) {
        ctx.progress(60, 'writing');
        const outcome = outcomeOf(plan);
        await deps.beforeWrite?.(ctx.job);
        const written = file
          ? await writeInThread(ctx, session, plan, outcome, file)
          : await writeOnMainConnection(ctx, session, plan, outcome);
        if (!('missing' in written)) {
          if (written.version !== null) events.publish('inventory.changed', { tenantId, version: written.version });
          return outcome;
        }
        // A node that edges of the input point at was deleted after the compare (by hand, or by another
        // job): nothing was written. Compare again; the edge is then skipped, or the node written anew.
        if (attempt === MAX_PLANS) {
          throw new JobFailure(
            'INVENTORY_CHANGED',
            `nodes that this input's edges point at kept being deleted while the job ran${
              written.missing.length ? ` (${written.missing.join(', ')})` : ''
            }; nothing was changed`,
          );
        }
        ctx.progress(30, 'comparing');
        plan = file ? await planInThread(ctx, session, summary, file) : await planOnMain(summary);
      }
    } finally {
      ctx.signal.removeEventListener('abort', stopThread);
      await session.close();
    }
  };
}

/** Records the tenant's inventory version after the job in its result (see reuseSameInput). */
function withVersion(outcome: JobOutcome, version: number | null): JobOutcome {
  if (outcome.result && version !== null) outcome.result.inventory_version = version;
  return outcome;
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
