/**
 * SQL for the job queue: claiming with a lease, heartbeats and the final
 * state changes. Every update that a worker makes is fenced by
 * `lease_owner = me AND status = 'running'`, so a worker that lost its lease
 * (another took the job over) changes nothing.
 */
import { type ExpressionBuilder, sql, type UpdateObject } from 'kysely';
import type { DatabaseDialect } from '../config.ts';
import type { Executor } from '../db/index.ts';
import type { DB, JobRow } from '../db/schema.ts';
import type { JobError, JobOutcome } from './types.ts';

export interface ClaimOptions {
  owner: string;
  kinds: readonly string[];
  now: string;
  leaseExpiresAt: string;
}

/**
 * Claims the oldest queued job (or a running one whose lease expired) for
 * `owner`. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers never
 * claim the same row. SQLite: one conditional UPDATE; SQLite runs one writer
 * at a time, so the condition is re-checked atomically.
 */
export async function claimNextJob(
  db: Executor,
  dialect: DatabaseDialect,
  o: ClaimOptions,
): Promise<JobRow | undefined> {
  if (o.kinds.length === 0) return undefined;
  const claimable = sql`(status = 'queued' or (status = 'running' and lease_expires_at < ${o.now}))`;
  const kinds = sql.join(o.kinds.map((k) => sql`${k}`));
  const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<JobRow>`
    update jobs set
      status = 'running',
      lease_owner = ${o.owner},
      lease_expires_at = ${o.leaseExpiresAt},
      heartbeat_at = ${o.now},
      attempts = attempts + 1,
      started_at = coalesce(started_at, ${o.now}),
      updated_at = ${o.now}
    where id = (
      select id from jobs
      where ${claimable} and kind in (${kinds})
      order by queued_at, id
      limit 1
      ${lock}
    ) and ${claimable}
    returning *`.execute(db);
  return result.rows[0];
}

/** Cheap pre-check so idle workers poll with reads only (a SQLite write would wait for the writer lock). */
export async function hasClaimableJob(db: Executor, kinds: readonly string[], now: string): Promise<boolean> {
  if (kinds.length === 0) return false;
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', 'in', kinds)
    .where((eb) =>
      eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', now)])]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface HeartbeatResult {
  /** False when the lease is no longer ours (taken over, or the job was finished by someone else). */
  held: boolean;
  cancelRequested: boolean;
}

/** Extends the lease and records progress; tells whether a cancel was requested. */
export async function heartbeat(
  db: Executor,
  id: string,
  owner: string,
  now: string,
  leaseExpiresAt: string,
  progress: { percent: number; step: string } | null,
): Promise<HeartbeatResult> {
  const row = await db
    .updateTable('jobs')
    .set({
      heartbeat_at: now,
      lease_expires_at: leaseExpiresAt,
      ...(progress ? { progress: progress.percent, step: progress.step, updated_at: now } : {}),
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .returning('cancel_requested')
    .executeTakeFirst();
  return row ? { held: true, cancelRequested: row.cancel_requested === 1 } : { held: false, cancelRequested: false };
}

/** Reads the cancel flag and whether the lease is still ours, without writing. */
export async function readJobControl(db: Executor, id: string, owner: string): Promise<HeartbeatResult> {
  const row = await db
    .selectFrom('jobs')
    .select(['cancel_requested', 'lease_owner', 'status'])
    .where('id', '=', id)
    .executeTakeFirst();
  const held = row !== undefined && row.lease_owner === owner && row.status === 'running';
  return { held, cancelRequested: row?.cancel_requested === 1 };
}

/**
 * Updates a running job whose lease `owner` holds (the fence: a worker that lost the lease to a takeover
 * changes nothing). True when it did.
 */
async function updateHeldJob(
  db: Executor,
  id: string,
  owner: string,
  set: UpdateObject<DB, 'jobs'> | ((eb: ExpressionBuilder<DB, 'jobs'>) => UpdateObject<DB, 'jobs'>),
): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set(set)
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** running → succeeded (fenced). Returns false when the lease was lost. */
export async function completeJob(
  db: Executor,
  id: string,
  owner: string,
  now: string,
  outcome: JobOutcome,
): Promise<boolean> {
  return updateHeldJob(db, id, owner, {
    status: 'succeeded',
    progress: 100,
    step: 'done',
    ...(outcome.counts ? { counts: JSON.stringify(outcome.counts) } : {}),
    result: outcome.result ? JSON.stringify(outcome.result) : null,
    error: null,
    lease_owner: null,
    lease_expires_at: null,
    finished_at: now,
    updated_at: now,
  });
}

/**
 * The same fenced running → succeeded update as raw SQL with `?` placeholders,
 * for a handler that commits its work and the job's completion on a
 * connection of its own (the ingest thread's SQLite connection).
 */
export const COMPLETE_JOB_SQL =
  "update jobs set status = 'succeeded', progress = 100, step = 'done', counts = ?, result = ?, error = null, " +
  "lease_owner = null, lease_expires_at = null, finished_at = ?, updated_at = ? where id = ? and lease_owner = ? and status = 'running'";

export function completeJobParams(id: string, owner: string, now: string, outcome: JobOutcome): unknown[] {
  return [
    JSON.stringify(outcome.counts ?? {}),
    outcome.result ? JSON.stringify(outcome.result) : null,
    now,
    now,
    id,
    owner,
  ];
}

/** running → failed (fenced). */
export async function failJob(db: Executor, id: string, owner: string, now: string, error: JobError): Promise<boolean> {
  return updateHeldJob(db, id, owner, {
    status: 'failed',
    error: JSON.stringify(error),
    lease_owner: null,
    lease_expires_at: null,
    finished_at: now,
    updated_at: now,
  });
}

/** running → cancelled (fenced), after the handler stopped and rolled back. */
export async function markRunningJobCancelled(db: Executor, id: string, owner: string, now: string): Promise<boolean> {
  return updateHeldJob(db, id, owner, {
    status: 'cancelled',
    step: 'cancelled',
    lease_owner: null,
    lease_expires_at: null,
    finished_at: now,
    updated_at: now,
  });
}

/**
 * running → queued (fenced): a worker shutting down hands the job back so
 * another picks it up at once instead of waiting for the lease to expire.
 * The attempt is not counted against the job.
 */
export async function releaseJob(db: Executor, id: string, owner: string, now: string): Promise<boolean> {
  return updateHeldJob(db, id, owner, (eb) => ({
    status: 'queued',
    step: 'queued',
    progress: 0,
    attempts: eb('attempts', '-', 1),
    lease_owner: null,
    lease_expires_at: null,
    updated_at: now,
  }));
}

export async function findJobById(db: Executor, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}
