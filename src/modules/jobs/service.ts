/**
 * Discovery jobs as the API sees them: create (store the input), start,
 * cancel, read. Running them is the job runner's business (platform/jobs);
 * what a run does is the inventory module's (`discovery` job kind).
 */
import type { DatabaseDialect } from '../../platform/config.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/index.ts';
import type { JobRow } from '../../platform/db/schema.ts';
import { conflict, notFound } from '../../platform/errors.ts';
import type { EventBus } from '../../platform/events.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import type { JobInputStore } from '../../platform/jobs/inputs.ts';
import type { JobSignals } from '../../platform/jobs/registry.ts';
import { isFinished, JOB_STATUSES } from '../../platform/jobs/types.ts';
import { recordEvents } from '../../platform/outbox.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { DISCOVERY_JOB_KIND } from '../inventory/ingest/discovery-job.ts';
import type { JobInput } from './body.ts';
import { JOB_SORT_FIELDS, JOB_SOURCES, type JobT, type ListJobsQueryT } from './schemas.ts';
import * as store from './store.ts';

export interface JobServiceDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
  signals: JobSignals;
  inputs: JobInputStore;
  /** Called when a large input starts arriving: its job kind may get ready to run it. */
  onLargeInput?: () => void;
}

export interface CreateJob {
  name: string;
  source: (typeof JOB_SOURCES)[number];
  input: JobInput;
  start?: boolean;
}

const EMPTY_COUNTS = { created: 0, updated: 0, unchanged: 0, removed: 0, edges: 0 };

export function toJob(row: JobRow): JobT {
  return {
    id: row.id,
    name: row.name,
    source: row.source as JobT['source'],
    status: row.status,
    progress: { percent: row.progress, step: row.step },
    counts: { ...EMPTY_COUNTS, ...(JSON.parse(row.counts) as Partial<JobT['counts']>) },
    error: row.error ? (JSON.parse(row.error) as JobT['error']) : null,
    result: row.result ? (JSON.parse(row.result) as JobT['result']) : null,
    input_bytes: row.input_bytes,
    input_sha256: row.input_sha256,
    attempts: row.attempts,
    cancel_requested: row.cancel_requested === 1,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    queued_at: row.queued_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

export function createJobService({ db, clock, events, signals, inputs, onLargeInput }: JobServiceDeps) {
  const kind = DISCOVERY_JOB_KIND;

  const audit = (ctx: TenantContext, jobId: string, action: `job.${string}`, summary: Record<string, unknown>) =>
    auditEntry(ctx, ctx.tenant.id, { type: 'job', id: jobId }, action, summary, iso(clock()));

  async function mustFind(tenantId: string, id: string): Promise<JobRow> {
    const row = await store.findJob(db, tenantId, kind, id);
    if (!row) throw notFound('job', id);
    return row;
  }

  const finished = (row: JobRow, action: string) =>
    conflict(`Job ${row.id} has already finished (${row.status}); it cannot be ${action}`, {
      status: row.status,
    });

  return {
    /** A large createJob body has started to arrive. */
    expectLargeInput(): void {
      onLargeInput?.();
    },

    async create(ctx: TenantContext, body: CreateJob): Promise<JobT> {
      const now = iso(clock());
      const row: JobRow = {
        id: newId('job'),
        tenant_id: ctx.tenant.id,
        kind,
        name: body.name,
        source: body.source,
        status: body.start ? 'queued' : 'pending',
        progress: 0,
        step: body.start ? 'queued' : null,
        counts: JSON.stringify(EMPTY_COUNTS),
        result: null,
        error: null,
        attempts: 0,
        cancel_requested: 0,
        input_bytes: body.input.size,
        input_sha256: body.input.sha256,
        lease_owner: null,
        lease_expires_at: null,
        heartbeat_at: null,
        created_by: ctx.principal?.id ?? null,
        created_at: now,
        updated_at: now,
        queued_at: body.start ? now : null,
        started_at: null,
        finished_at: null,
      };
      const staged = await inputs.stage(row.id, body.input);
      await db
        .transaction()
        .execute(async (tx) => {
          await store.insertJob(tx, row);
          await staged.inTransaction(tx);
          await insertAuditEntry(
            tx,
            audit(ctx, row.id, 'job.created', { name: row.name, source: row.source, bytes: row.input_bytes }),
          );
        })
        .catch(async (e) => {
          await staged.discard();
          throw e;
        });
      if (body.start) signals.queued(row.id);
      return toJob(row);
    },

    async list(ctx: TenantContext, query: ListJobsQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, JOB_SORT_FIELDS, '-created_at');
      const statuses = enumList(query.status, JOB_STATUSES, 'status', 'job status');
      const sources = enumList(query.source, JOB_SOURCES, 'source', 'job source');
      const { rows, total } = await store.listJobRows(
        db,
        ctx.tenant.id,
        kind,
        { statuses, sources },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toJob), total };
    },

    async get(ctx: TenantContext, id: string): Promise<JobT> {
      return toJob(await mustFind(ctx.tenant.id, id));
    },

    /** pending → queued. Starting a queued or running job changes nothing; a finished one is a 409. */
    async start(ctx: TenantContext, id: string): Promise<JobT> {
      const row = await mustFind(ctx.tenant.id, id);
      if (isFinished(row.status)) throw finished(row, 'started');
      if (row.status === 'pending') {
        const now = iso(clock());
        await db.transaction().execute(async (tx) => {
          await store.transitionJob(tx, id, ['pending'], {
            status: 'queued',
            step: 'queued',
            queued_at: now,
            updated_at: now,
          });
          await insertAuditEntry(tx, audit(ctx, id, 'job.started', {}));
        });
        signals.queued(id);
      }
      return toJob(await mustFind(ctx.tenant.id, id));
    },

    /**
     * pending/queued → cancelled at once; running → cancel requested: the
     * worker stops at its next checkpoint and rolls the job's writes back.
     * A finished job is a 409.
     */
    async cancel(ctx: TenantContext, id: string): Promise<JobT> {
      // Before any query: on SQLite a running job's transaction may hold the only connection.
      const stoppedLocally = signals.cancelRequested(id, ctx.tenant.id);
      const row = await mustFind(ctx.tenant.id, id);
      if (stoppedLocally && row.status === 'cancelled') return toJob(row);
      if (isFinished(row.status)) throw finished(row, 'cancelled');
      const now = iso(clock());
      const cancelled = { tenantId: row.tenant_id, jobId: id, kind, source: row.source };
      const stoppedNow = await db.transaction().execute(async (tx) => {
        const done = await store.transitionJob(tx, id, ['pending', 'queued'], {
          status: 'cancelled',
          step: 'cancelled',
          finished_at: now,
          updated_at: now,
        });
        // Claimed in the meantime (or already running): ask the worker to stop.
        if (!done) await store.transitionJob(tx, id, ['running'], { cancel_requested: 1, updated_at: now });
        else await recordEvents(tx, [{ event: 'job.cancelled', payload: cancelled }], now);
        await insertAuditEntry(tx, audit(ctx, id, 'job.cancelled', { status_before: row.status }));
        return done;
      });
      if (stoppedNow) {
        events.publish('job.cancelled', cancelled);
        await inputs.drop(db, id); // it will never run
      }
      return toJob(await mustFind(ctx.tenant.id, id));
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
