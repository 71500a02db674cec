/** SQL for discovery jobs as the API sees them (the runner's SQL is in platform/jobs/store.ts). */
import type { Executor } from '../../platform/db/index.ts';
import type { JobRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';
import type { JobStatus } from '../../platform/jobs/types.ts';

export async function insertJob(db: Executor, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export async function findJob(db: Executor, tenantId: string, kind: string, id: string): Promise<JobRow | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Moves a job between states only if it is still in one of `from`; returns whether it did. */
export async function transitionJob(
  db: Executor,
  id: string,
  from: JobStatus[],
  patch: Partial<Pick<JobRow, 'status' | 'step' | 'queued_at' | 'finished_at' | 'updated_at' | 'cancel_requested'>>,
): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set(patch)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function listJobRows(
  db: Executor,
  tenantId: string,
  kind: string,
  filter: { statuses?: string[]; sources?: string[] },
  sort: SortField<'created_at' | 'updated_at' | 'finished_at' | 'name' | 'status'>[],
  limit: number,
  offset: number,
): Promise<{ rows: JobRow[]; total: number }> {
  let base = db.selectFrom('jobs').where('tenant_id', '=', tenantId).where('kind', '=', kind);
  if (filter.statuses) base = base.where('status', 'in', filter.statuses as JobStatus[]);
  if (filter.sources) base = base.where('source', 'in', filter.sources);
  const textFields: readonly string[] = ['name', 'status'];
  const order = [
    ...sort.map((s) => sortTerm(db, s.field, s.desc, textFields.includes(s.field))),
    sortTerm(db, 'id', sort[0]?.desc ?? false, true),
  ];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}
