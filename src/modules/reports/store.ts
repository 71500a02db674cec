/** SQL for reports. A report's state is its job's: rows are read joined with `jobs`. */
import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { Executor } from '../../platform/db/index.ts';
import type { DB, JobRow, ReportRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';
import type { ReportStatus } from './schemas.ts';

export type ReportRecord = ReportRow & {
  job_status: JobRow['status'];
  job_error: string | null;
  job_step: string | null;
  job_progress: number;
  started_at: string | null;
  finished_at: string | null;
};

/** The job statuses each report status stands for (a cancelled job's report was deleted). */
export const JOB_STATUSES_OF: Record<ReportStatus, JobRow['status'][]> = {
  queued: ['pending', 'queued'],
  running: ['running'],
  succeeded: ['succeeded'],
  failed: ['failed', 'cancelled'],
};

function withJob(db: Executor) {
  return db
    .selectFrom('reports as r')
    .innerJoin('jobs as j', 'j.id', 'r.job_id')
    .selectAll('r')
    .select([
      'j.status as job_status',
      'j.error as job_error',
      'j.step as job_step',
      'j.progress as job_progress',
      'j.started_at',
      'j.finished_at',
    ]);
}

export async function insertReport(db: Executor, row: ReportRow): Promise<void> {
  await db.insertInto('reports').values(row).execute();
}

/**
 * A report unless retention has ended it: one that finished before `expiredBefore` is gone for readers even
 * while the hourly retention sweep has yet to delete it.
 */
export async function findReport(
  db: Executor,
  tenantId: string,
  id: string,
  expiredBefore: string | null,
): Promise<ReportRecord | undefined> {
  let q = withJob(db).where('r.tenant_id', '=', tenantId).where('r.id', '=', id);
  if (expiredBefore !== null) q = q.where(notExpired(expiredBefore));
  return q.executeTakeFirst();
}

/** Not finished before `before` (a report still queued or running has no finish time). */
const notExpired =
  (before: string) =>
  (eb: ExpressionBuilder<DB & { j: JobRow }, 'j'>): Expression<SqlBool> =>
    eb.or([eb('j.finished_at', 'is', null), eb('j.finished_at', '>=', before)]);

export async function findReportByJob(db: Executor, jobId: string): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

export async function tenantSlug(db: Executor, tenantId: string): Promise<string | undefined> {
  return (await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst())?.slug;
}

export type ReportSortField = 'created_at' | 'completed_at' | 'name' | 'type' | 'format';

export async function listReportRows(
  db: Executor,
  tenantId: string,
  filter: { types?: string[]; statuses?: ReportStatus[]; formats?: string[]; expiredBefore: string | null },
  sort: SortField<ReportSortField>[],
  limit: number,
  offset: number,
): Promise<{ rows: ReportRecord[]; total: number }> {
  const where = <Q extends SelectQueryBuilder<DB & { r: ReportRow; j: JobRow }, 'r' | 'j', object>>(q: Q): Q => {
    let out = q.where('r.tenant_id', '=', tenantId);
    if (filter.expiredBefore !== null) out = out.where(notExpired(filter.expiredBefore));
    if (filter.types) out = out.where('r.type', 'in', filter.types);
    if (filter.formats) out = out.where('r.format', 'in', filter.formats as ReportRow['format'][]);
    if (filter.statuses)
      out = out.where(
        'j.status',
        'in',
        filter.statuses.flatMap((s) => JOB_STATUSES_OF[s]),
      );
    return out as Q;
  };
  const filtered = where(db.selectFrom('reports as r').innerJoin('jobs as j', 'j.id', 'r.job_id'));
  let q = where(withJob(db));
  const column: Record<ReportSortField, string> = {
    created_at: 'r.created_at',
    // Only finished reports have a completion time; the others sort as nulls.
    completed_at: 'completed_at',
    name: 'r.name',
    type: 'r.type',
    format: 'r.format',
  };
  if (sort.some((s) => s.field === 'completed_at')) {
    q = q.select(
      sql<string | null>`case when j.status in ('succeeded', 'failed') then j.finished_at end`.as('completed_at'),
    );
  }
  const order = [
    ...sort.map((s) => sortTerm(db, column[s.field], s.desc, !s.field.endsWith('_at'))),
    // Ids are time-ordered: the first sort's direction breaks ties, newest first by default.
    sortTerm(db, 'r.id', sort[0]?.desc ?? true, true),
  ];
  const page = await offsetPage(filtered, q, order, { limit, offset });
  return { rows: page.rows as ReportRecord[], total: page.total };
}

/** Records the stored document; false when the report is gone (deleted meanwhile). */
export async function completeReport(
  db: Executor,
  id: string,
  done: Pick<ReportRow, 'content_key' | 'row_count' | 'size_bytes' | 'sha256' | 'generated_at'>,
): Promise<boolean> {
  const res = await db.updateTable('reports').set(done).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function deleteReportRow(db: Executor, tenantId: string, id: string): Promise<number> {
  const res = await db.deleteFrom('reports').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Finished reports whose job ended before `before` (oldest first): what retention deletes. */
export async function expiredReports(
  db: Executor,
  before: string,
  limit: number,
): Promise<{ id: string; tenant_id: string; job_id: string; content_key: string | null }[]> {
  return db
    .selectFrom('reports as r')
    .innerJoin('jobs as j', 'j.id', 'r.job_id')
    .select(['r.id', 'r.tenant_id', 'r.job_id', 'r.content_key'])
    .where('j.status', 'in', ['succeeded', 'failed', 'cancelled'])
    .where('j.finished_at', '<', before)
    .orderBy('j.finished_at')
    .limit(limit)
    .execute();
}

/** Deletes report jobs, and with them (cascade) their reports and stored parts. */
export async function deleteReportJobs(db: Executor, jobIds: string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const res = await db.deleteFrom('jobs').where('id', 'in', jobIds).executeTakeFirst();
  return Number(res.numDeletedRows);
}
