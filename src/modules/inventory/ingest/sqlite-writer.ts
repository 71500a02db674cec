/**
 * The compare and write phases of a large SQLite ingest, run inside the
 * ingest thread on connections of its own (the compare: one read transaction,
 * whole scopes in one query each; the write: below).
 *
 * The write phase. A SQLite COMMIT costs time in proportion to the
 * pages the transaction wrote (≈ 200 ms for 100k nodes and 400k edges), and
 * better-sqlite3 runs it synchronously: on the main thread that would stall
 * the HTTP server. Here the thread inserts straight from the session's rows
 * (nothing is copied between threads), commits, and checkpoints the log.
 *
 * Meanwhile the main thread holds its own (only) connection idle, so its
 * other writers wait for the job asynchronously instead of blocking in
 * SQLite's busy handler. `control` is shared memory: [0] = 1 asks the writer
 * to stop at its next batch and roll back; [1] counts the rows written.
 */
import SQLite from 'better-sqlite3';
import { COMPLETE_JOB_SQL, completeJobParams } from '../../../platform/jobs/store.ts';
import type { JobOutcome } from '../../../platform/jobs/types.ts';
import { type DurableEvent, INSERT_OUTBOX_SQL, outboxParams } from '../../../platform/outbox.ts';
import {
  BUMP_VERSION_SQL,
  INVENTORY_VERSION_SQL,
  sqliteInsertSql,
  sqliteUpsertSql,
  TOUCH_SCOPE_SQL,
} from '../bulk-sql.ts';
import { heldPlan, type Plan, type PlanReader, planChanges } from './plan.ts';
import type { IngestSession, IngestSummary } from './session.ts';

export interface SqliteWritePlan {
  file: string;
  tenantId: string;
  jobId: string;
  /** The job's source kind (`terraform_state`…), recorded on its scopes. */
  jobSource: string;
  /** The job's kind (`discovery`), for its `job.completed` event. */
  jobKind: string;
  /** The worker holding the job's lease: the completion is fenced by it. */
  leaseOwner: string;
  now: string;
  scopes: string[];
  writeNodes: number[];
  writeEdges: number[];
  removedNodes: string[];
  removedEdges: string[];
  /** How many of writeNodes / writeEdges (the first ones) are new: inserted without an upsert. */
  newNodes: number;
  newEdges: number;
  /** Bump the tenant's inventory version (anything changed). */
  bump: boolean;
  /** The lists are the ones planInSqlite left in this thread. */
  held?: boolean;
  outcome: JobOutcome;
  /** Rows between two stop checks (defaults 500 nodes, 1,000 edges) and a pause there (throttling, tests). */
  nodeBatch?: number;
  edgeBatch?: number;
  pauseMs?: number;
}

export type SqliteWriteResult =
  | { status: 'committed'; version: number | null; inventoryVersion: number }
  | { status: 'interrupted' }
  | { status: 'lease_lost' }
  /** A node the edges need was deleted after the compare: nothing was written; compare again. */
  | { status: 'ends_changed'; missing: string[] };

export const CONTROL_STOP = 0;
export const CONTROL_WRITTEN = 1;
/** Slot used only to sleep on (Atomics.wait) between batches when a pause is asked for. */
const CONTROL_SLEEP = 2;
/** Share of the compare done, in thousandths. */
export const CONTROL_PROGRESS = 3;
export const CONTROL_SLOTS = 4;

class Stopped extends Error {}

export type SqlitePlanResult = { status: 'planned'; plan: Plan } | { status: 'interrupted' };

/** The database as the compare reads it from inside the thread: one statement per scope. */
function threadReader(db: SQLite.Database, tenantId: string): PlanReader {
  // Ids and hashes as two single-column reads in the same order (the scope index's), zipped here: with
  // better-sqlite3, 400k two-value rows cost four times as much as 400k plucked values, twice.
  const column = (table: 'nodes' | 'edges', name: 'id' | 'content_hash') =>
    db.prepare(`select ${name} from ${table} where tenant_id = ? and scope_key = ? order by id`).pluck();
  const scopeRows = {
    nodes: { ids: column('nodes', 'id'), hashes: column('nodes', 'content_hash') },
    edges: { ids: column('edges', 'id'), hashes: column('edges', 'content_hash') },
  };
  const byIds = (table: 'nodes' | 'edges', columns: string, ids: string[]) => {
    const out: unknown[][] = [];
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const chunk = ids.slice(i, i + DELETE_BATCH);
      const stmt = db
        .prepare(`select ${columns} from ${table} where tenant_id = ? and id in (${chunk.map(() => '?').join(',')})`)
        .raw(true);
      out.push(...(stmt.all(tenantId, ...chunk) as unknown[][]));
    }
    return out;
  };
  return {
    async scopeHashes(table, scope, out) {
      // Both reads are in the compare's one read transaction: the same rows.
      const ids = scopeRows[table].ids.all(tenantId, scope) as string[];
      const hashes = scopeRows[table].hashes.all(tenantId, scope) as string[];
      for (let i = 0; i < ids.length; i++) out.set(ids[i] as string, hashes[i] as string);
    },
    async anyOutside(table, scopes) {
      const marks = scopes.map(() => '?').join(',');
      const where = scopes.length ? `and (scope_key is null or scope_key not in (${marks}))` : '';
      return (
        db.prepare(`select 1 from ${table} where tenant_id = ? ${where} limit 1`).get(tenantId, ...scopes) !== undefined
      );
    },
    async hashesOf(table, ids) {
      return new Map(byIds(table, 'id, content_hash', ids) as [string, string][]);
    },
    async existingNodeIds(ids) {
      return new Set(byIds('nodes', 'id', ids).map((r) => r[0] as string));
    },
  };
}

export async function planInSqlite(
  session: IngestSession,
  args: { file: string; tenantId: string; summary: IngestSummary; pauseMs?: number },
  control: Int32Array,
): Promise<SqlitePlanResult> {
  const db = new SQLite(args.file, { readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
    db.exec('begin'); // one snapshot for every read of the compare
    const plan = await planChanges(
      args.summary,
      { nodeKeys: async (f, n) => session.nodeKeys(f, n), edgeKeys: async (f, n) => session.edgeKeys(f, n) },
      threadReader(db, args.tenantId),
      {
        checkpoint: () => {
          if (Atomics.load(control, CONTROL_STOP) === 1) throw new Stopped();
        },
        pause: async () => {
          if (args.pauseMs) Atomics.wait(control, CONTROL_SLEEP, 0, args.pauseMs);
        },
        progress: (share) => Atomics.store(control, CONTROL_PROGRESS, Math.round(share * 1000)),
      },
      // Throttled (a pause between batches): small batches, as on the main connection.
      args.pauseMs ? 2_000 : 50_000,
    );
    db.exec('commit');
    // The lists (100k+ entries) stay here for writeToSqlite; cloning them to the main thread and back
    // would cost its event loop tens of milliseconds each way.
    planned = plan;
    return { status: 'planned', plan: heldPlan(plan) };
  } catch (e) {
    if (e instanceof Stopped) return { status: 'interrupted' };
    throw e;
  } finally {
    db.close();
  }
}

const NODE_BATCH = 500;
const EDGE_BATCH = 1000;
const DELETE_BATCH = 500;
/** Page cache of the writer connection, in KiB (256 MB; released when the job's write is done). */
const WRITER_CACHE_KIB = 256 * 1024;
/** PASSIVE checkpoint attempts (20 ms apart) before giving the rest of the log back to SQLite. */
const CHECKPOINT_ATTEMPTS = 100;

let writer: SQLite.Database | null = null;
/** The last plan made by planInSqlite in this thread, used by writeToSqlite when the caller's plan is `held`. */
let planned: Plan | null = null;

export function forgetPlan(): void {
  planned = null;
}

export function writeToSqlite(session: IngestSession, given: SqliteWritePlan, control: Int32Array): SqliteWriteResult {
  closeWriter();
  const plan = given.held && planned ? { ...given, ...pick(planned) } : given;
  if (given.held && !planned) throw new Error('no plan held in this thread');
  const db = new SQLite(plan.file);
  writer = db;
  db.pragma('busy_timeout = 5000');
  // Foreign keys are checked by this writer, not by SQLite: per edge, SQLite would look both ends up in the
  // nodes index (a quarter of the write time at 400k edges), while the ends this write does not itself
  // insert are a few distinct ids, checked once below. Removed nodes' edges are deleted explicitly (the
  // cascade). The transaction holds the write lock throughout, so nothing can delete a checked end before
  // the commit, and a deleted tenant takes its jobs with it: the completion fence then rolls back.
  db.pragma('foreign_keys = OFF');
  db.pragma('synchronous = NORMAL');
  // The commit must not checkpoint synchronously either; checkpointSqlite() does it afterwards.
  db.pragma('wal_autocheckpoint = 0');
  // A large page cache for this short-lived connection: the edge indexes (source, target) take rows in
  // no useful order, and with SQLite's default 2 MB every insert into them would read and spill pages.
  db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
  const statements = new Map<string, SQLite.Statement>();
  const prepare = (text: string) => {
    let stmt = statements.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      statements.set(text, stmt);
    }
    return stmt;
  };
  const nodeBatch = plan.nodeBatch ?? NODE_BATCH;
  const edgeBatch = plan.edgeBatch ?? EDGE_BATCH;
  const stopped = () => {
    if (plan.pauseMs) Atomics.wait(control, CONTROL_SLEEP, 0, plan.pauseMs);
    return Atomics.load(control, CONTROL_STOP) === 1;
  };
  const written = (n: number) => Atomics.add(control, CONTROL_WRITTEN, n);

  db.exec('begin immediate');
  try {
    const inChunks = (ids: string[], sqlFor: (marks: string) => string): boolean => {
      for (let i = 0; i < ids.length; i += DELETE_BATCH) {
        const chunk = ids.slice(i, i + DELETE_BATCH);
        prepare(sqlFor(chunk.map(() => '?').join(','))).run(plan.tenantId, ...chunk);
        if (stopped()) return false;
      }
      return true;
    };
    if (!inChunks(plan.removedEdges, (m) => `delete from edges where tenant_id = ? and id in (${m})`)) {
      return rollback(db);
    }
    // The cascade of the removed nodes (other scopes' edges to them, edges made by hand), then the nodes.
    for (const end of ['source_id', 'target_id']) {
      if (!inChunks(plan.removedNodes, (m) => `delete from edges where tenant_id = ? and ${end} in (${m})`)) {
        return rollback(db);
      }
    }
    if (!inChunks(plan.removedNodes, (m) => `delete from nodes where tenant_id = ? and id in (${m})`)) {
      return rollback(db);
    }
    // The ends of the edges to write that this write does not insert: the compare saw them, but a node
    // may have been deleted since (by hand, or by another job). A first ingest has none to look up.
    const ends = session.endsOutside(plan.writeEdges, plan.writeNodes);
    const missing = missingNodes(db, plan.tenantId, ends);
    if (missing.length > 0) {
      db.exec('rollback');
      closeWriter();
      return { status: 'ends_changed', missing: missing.slice(0, 10) };
    }
    // One row per statement: with better-sqlite3, a prepared single-row statement run many times beats
    // one statement of hundreds of rows (no giant parameter array to build and bind); the session binds
    // each row's values straight from what it holds. New rows take a plain INSERT (cheaper than an
    // upsert); one added since the compare (a manual create) falls back.
    const write = (table: 'nodes' | 'edges', indices: number[], fresh: number, batch: number): boolean => {
      const insert = prepare(sqliteInsertSql(table));
      const upsert = prepare(sqliteUpsertSql(table, 1));
      const run = table === 'nodes' ? session.runNodeRow.bind(session) : session.runEdgeRow.bind(session);
      for (let i = 0; i < indices.length; i += batch) {
        const end = Math.min(indices.length, i + batch);
        for (let k = i; k < end; k++) {
          const index = indices[k] as number;
          if (k >= fresh) run(index, upsert, plan.tenantId, plan.jobId, plan.now);
          else {
            try {
              run(index, insert, plan.tenantId, plan.jobId, plan.now);
            } catch (e) {
              if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw e;
              run(index, upsert, plan.tenantId, plan.jobId, plan.now);
            }
          }
        }
        written(end - i);
        if (stopped()) return false;
      }
      return true;
    };
    if (!write('nodes', plan.writeNodes, plan.newNodes, nodeBatch)) return rollback(db);
    if (!write('edges', plan.writeEdges, plan.newEdges, edgeBatch)) return rollback(db);
    const touch = db.prepare(TOUCH_SCOPE_SQL);
    for (const scope of plan.scopes) touch.run(plan.tenantId, scope, plan.jobSource, plan.jobId, plan.now);
    const version = plan.bump
      ? ((db.prepare(BUMP_VERSION_SQL).get(plan.tenantId) as { inventory_version: number } | undefined)
          ?.inventory_version ?? null)
      : null;
    const inventoryVersion =
      version ??
      (db.prepare(INVENTORY_VERSION_SQL).get(plan.tenantId) as { inventory_version: number } | undefined)
        ?.inventory_version ??
      0;
    if (stopped()) return rollback(db);
    const outcome = { ...plan.outcome, result: { ...plan.outcome.result, inventory_version: inventoryVersion } };
    const done = db.prepare(COMPLETE_JOB_SQL).run(...completeJobParams(plan.jobId, plan.leaseOwner, plan.now, outcome));
    if (done.changes !== 1) {
      db.exec('rollback');
      return { status: 'lease_lost' };
    }
    // The events the runner and the job publish once this commits, recorded with it (platform/outbox.ts).
    const tenantId = plan.tenantId;
    const events: DurableEvent[] = [];
    if (version !== null) events.push({ event: 'inventory.changed', payload: { tenantId, version } });
    events.push({
      event: 'job.completed',
      payload: {
        tenantId,
        jobId: plan.jobId,
        kind: plan.jobKind,
        source: plan.jobSource,
        counts: outcome.counts ?? {},
        result: outcome.result ?? null,
      },
    });
    const record = db.prepare(INSERT_OUTBOX_SQL);
    for (const e of events) record.run(...outboxParams(e, plan.now));
    db.exec('commit');
    return { status: 'committed', version, inventoryVersion };
  } catch (e) {
    if (db.inTransaction) db.exec('rollback');
    closeWriter();
    throw e;
  }
}

/** Those of `ids` that are not nodes of the tenant. */
function missingNodes(db: SQLite.Database, tenantId: string, ids: string[]): string[] {
  const missing: string[] = [];
  for (let i = 0; i < ids.length; i += DELETE_BATCH) {
    const chunk = ids.slice(i, i + DELETE_BATCH);
    const found = new Set(
      db
        .prepare(`select id from nodes where tenant_id = ? and id in (${chunk.map(() => '?').join(',')})`)
        .pluck()
        .all(tenantId, ...chunk) as string[],
    );
    for (const id of chunk) if (!found.has(id)) missing.push(id);
  }
  return missing;
}

const pick = (p: Plan) => ({
  newNodes: p.sizes.newNodes,
  newEdges: p.sizes.newEdges,
  writeNodes: p.writeNodes,
  writeEdges: p.writeEdges,
  removedNodes: p.removedNodes,
  removedEdges: p.removedEdges,
});

function rollback(db: SQLite.Database): SqliteWriteResult {
  db.exec('rollback');
  closeWriter();
  return { status: 'interrupted' };
}

/** Copies the log written by writeToSqlite into the database file, then closes the connection. */
export function checkpointSqlite(): void {
  if (!writer) return;
  try {
    // PASSIVE skips frames a reader is still using (the server reads between our attempts). Retry until
    // the whole log is in: whatever is left would be copied by the main connection's next commit.
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt++) {
      const [state] = writer.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      if (!state || state.log < 0 || state.checkpointed >= state.log) return;
      Atomics.wait(nap, 0, 0, 20);
    }
  } finally {
    closeWriter();
  }
}

export function closeWriter(): void {
  if (writer?.open) writer.close();
  writer = null;
}
