/**
 * Reports: a generated, downloadable document (CSV, JSON, PDF) about a tenant's inventory, tagging,
 * and whatever other report types are registered (./providers.ts). Generating one creates the report
 * and a durable `report` job in one transaction; the job runner (platform/jobs) runs it on any worker,
 * with its lease, heartbeat and takeover. The report's status, error and times are its job's, so no
 * second state machine can drift from the first. Report jobs are not discovery jobs: `/jobs` does not
 * list them and webhooks do not send their `job.*` events.
 */
import type { Readable } from 'node:stream';
import { Type } from 'typebox';
import { CONTENT_TYPES, type ReportFormat, type ReportMeta, reportWriter } from '../../core/reports/index.ts';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { JobRow, ReportRow } from '../../platform/db/schema.ts';
import { isForeignKeyViolation } from '../../platform/db/sql.ts';
import { AppError, badRequest, conflict, type FieldError, notFound } from '../../platform/errors.ts';
import type { EventMap } from '../../platform/events.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { compileJsonValidator } from '../../platform/http/validation.ts';
import { newId } from '../../platform/ids.ts';
import type { JobSignals } from '../../platform/jobs/registry.ts';
import { JobFailure, type JobHandler, JobInterrupted } from '../../platform/jobs/types.ts';
import type { DurableEvent } from '../../platform/outbox.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { insertJob, transitionJob } from '../jobs/store.ts';
import type { ReportContentStore } from './content.ts';
import type { ReportProvider, ReportRegistry } from './providers.ts';
import {
  type GenerateReportBodyT,
  type ListReportsQueryT,
  REPORT_FORMATS,
  REPORT_SORT_FIELDS,
  REPORT_STATUSES,
  type ReportStatus,
  type ReportT,
} from './schemas.ts';
import type { ReportRecord } from './store.ts';
import * as store from './store.ts';

export const REPORT_JOB_KIND = 'report';
/** Expired reports deleted per statement. */
const EXPIRY_BATCH = 100;

export interface ReportServiceDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  signals: JobSignals;
  contents: ReportContentStore;
  registry: ReportRegistry;
  /** How long a finished report is kept after it completed (INFRACAST_REPORT_RETENTION_DAYS); 0: for ever. */
  retentionMs?: number;
  /** Where clean-up failures after a commit are reported (they never fail the request). */
  warn?: (obj: object, msg: string) => void;
}

const STATUS_OF: Record<JobRow['status'], ReportStatus> = {
  pending: 'queued',
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'failed',
};

export function toReport(row: ReportRecord, tenantSlug: string, retentionMs = 0): ReportT {
  const status = STATUS_OF[row.job_status];
  const ended = status === 'succeeded' || status === 'failed';
  const completedAt = ended ? row.finished_at : null;
  const error = row.job_error ? (JSON.parse(row.job_error) as { code: string; message: string }) : null;
  return {
    id: row.id,
    type: row.type,
    format: row.format,
    name: row.name,
    status,
    progress: status === 'succeeded' ? 100 : status === 'queued' ? 0 : Number(row.job_progress),
    step: status === 'running' ? row.job_step : null,
    filters: JSON.parse(row.filters) as Record<string, unknown>,
    row_count: row.row_count,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    content_type: CONTENT_TYPES[row.format],
    error:
      status === 'failed'
        ? error
          ? { code: error.code, message: error.message }
          : { code: 'CANCELLED', message: 'The report was cancelled' }
        : null,
    created_by: row.created_by,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: completedAt,
    expires_at: completedAt !== null && retentionMs > 0 ? iso(new Date(Date.parse(completedAt) + retentionMs)) : null,
    generated_at: row.generated_at,
    download_url: status === 'succeeded' ? `/api/v1/tenants/${tenantSlug}/reports/${row.id}/download` : null,
  };
}

/** A file name for Content-Disposition: the report's name reduced to safe ASCII, then the extension. */
export function downloadFilename(name: string, format: ReportFormat, id: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 100);
  return `${base || id}.${format}`;
}

/**
 * The Content-Disposition of a download (RFC 6266): `filename` is the ASCII fallback above; a name with other
 * characters also gets `filename*` (RFC 8187, UTF-8), which current clients prefer, with only what a file
 * name cannot hold (path separators, control and reserved characters) replaced.
 */
export function contentDisposition(name: string, format: ReportFormat, id: string): string {
  const ascii = downloadFilename(name, format, id);
  const unicode = name
    .normalize('NFC')
    .replace(/[\p{Cc}/\\:*?"<>|]+/gu, '-')
    .replace(/^[\s.-]+|[\s.-]+$/g, '')
    .slice(0, 100)
    .toWellFormed(); // the cut may split a surrogate pair, which encodeURIComponent refuses
  if (!unicode || /^[ -~]*$/.test(unicode)) return `attachment; filename="${ascii}"`;
  // encodeURIComponent leaves a few characters that RFC 8187's attr-char excludes.
  const encoded = encodeURIComponent(`${unicode}.${format}`).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Whether an If-None-Match header matches this ETag (weak comparison, as RFC 9110 says for GET). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((t) => opaque(t) === opaque(etag));
}

export type Download =
  | { notModified: true; etag: string }
  | {
      notModified: false;
      etag: string;
      contentType: string;
      /** The Content-Disposition header's value. */
      disposition: string;
      size: number;
      body: Readable;
    };

export function createReportService(deps: ReportServiceDeps) {
  const { db, dialect, clock, signals, contents, registry } = deps;
  const retentionMs = deps.retentionMs ?? 0;
  const warn = deps.warn ?? (() => {});

  /**
   * A report job's end, told as the report's (the outbox's consumer calls it in its transaction):
   * subscribers know reports, not their (unlisted) jobs. A cancelled report job means its report was
   * deleted: nothing to tell.
   */
  async function reportEventOf(
    tx: Executor,
    e: { event: 'job.completed' | 'job.failed'; payload: EventMap['job.completed'] | EventMap['job.failed'] },
  ): Promise<DurableEvent | null> {
    if (e.payload.kind !== REPORT_JOB_KIND) return null;
    const report = await store.findReportByJob(tx, e.payload.jobId);
    if (!report) return null;
    const about = {
      tenantId: report.tenant_id,
      reportId: report.id,
      type: report.type,
      format: report.format,
      name: report.name,
    };
    if (e.event === 'job.failed') {
      return { event: 'report.failed', payload: { ...about, error: (e.payload as EventMap['job.failed']).error } };
    }
    if (report.size_bytes === null || report.sha256 === null) return null;
    return {
      event: 'report.succeeded',
      payload: {
        ...about,
        rowCount: report.row_count ?? 0,
        sizeBytes: Number(report.size_bytes),
        sha256: report.sha256,
      },
    };
  }

  const audit = (
    ctx: TenantContext,
    action: `report.${string}`,
    target: string,
    at: string,
    summary: Record<string, unknown>,
  ) => auditEntry(ctx, ctx.tenant.id, { type: 'report', id: target }, action, summary, at);

  /** Per report type, its filters' own schema (compiled on first use). */
  const filterValidators = new Map<string, (data: unknown) => FieldError[] | null>();
  const filterValidator = (provider: ReportProvider) => {
    let v = filterValidators.get(provider.type);
    if (!v) {
      const fields = Object.fromEntries(
        Object.entries(provider.filters).map(([k, schema]) => [k, Type.Optional(schema)]),
      );
      v = compileJsonValidator(Type.Object(fields, { additionalProperties: false }), 'body.filters');
      filterValidators.set(provider.type, v);
    }
    return v;
  };

  /** When retention is on, finishing before this means the report has expired (null: kept for ever). */
  const expiredBefore = () => (retentionMs > 0 ? iso(new Date(clock().getTime() - retentionMs)) : null);

  const mustFind = async (ctx: TenantContext, id: string) => {
    const row = await store.findReport(db, ctx.tenant.id, id, expiredBefore());
    if (!row) throw notFound('report', id);
    return row;
  };

  /** The job that generates a report: a `report` job, queued at once, reading its parameters from the report row. */
  const jobRow = (ctx: TenantContext, name: string, now: string): JobRow => ({
    id: newId('job'),
    tenant_id: ctx.tenant.id,
    kind: REPORT_JOB_KIND,
    name,
    source: REPORT_JOB_KIND,
    status: 'queued',
    progress: 0,
    step: 'queued',
    counts: '{}',
    result: null,
    error: null,
    attempts: 0,
    cancel_requested: 0,
    input_bytes: 0,
    input_sha256: null,
    lease_owner: null,
    lease_expires_at: null,
    heartbeat_at: null,
    created_by: ctx.principal?.id ?? null,
    created_at: now,
    updated_at: now,
    queued_at: now,
    started_at: null,
    finished_at: null,
  });

  /** Runs a `report` job: reads the rows page by page, writes the document, completes both at once. */
  const jobHandler: JobHandler = async (ctx) => {
    const report = await store.findReportByJob(db, ctx.job.id);
    // Deleted before it ran: nothing to generate.
    if (!report) throw new JobInterrupted('cancelled');
    const provider = registry.get(report.type);
    if (!provider) {
      throw new JobFailure('REPORT_TYPE_UNAVAILABLE', `Report type ${report.type} is not available on this server`);
    }
    await contents
      .sweep(report.tenant_id)
      .catch((err) => ctx.log.warn({ err }, 'could not sweep report contents left behind'));
    const now = clock();
    const meta: ReportMeta = {
      id: report.id,
      name: report.name,
      type: report.type,
      tenant: (await store.tenantSlug(db, report.tenant_id)) ?? report.tenant_id,
      generatedAt: iso(now),
      filters: JSON.parse(report.filters) as Record<string, unknown>,
    };
    const writer = reportWriter(report.format, meta, provider.columns);
    let rows = 0;
    async function* chunks() {
      yield writer.start();
      let percent = 0;
      // 100 is for the finished document: reading everything is 99.
      const progress = (done: number, total: number) => {
        percent = total > 0 ? Math.min(99, Math.floor((99 * done) / total)) : 0;
      };
      const source = { db, dialect, tenantId: report!.tenant_id, now, progress };
      for await (const batch of provider!.rows(source, meta.filters)) {
        ctx.checkpoint();
        rows += batch.length;
        yield writer.rows(batch);
        ctx.progress(percent, `writing (${rows} rows)`);
      }
      yield writer.end();
    }
    ctx.progress(0, 'reading');
    try {
      return await contents.save(
        { tenantId: report.tenant_id, reportId: report.id, attempt: ctx.job.attempts, extension: report.format },
        chunks(),
        async (tx, stored) => {
          const done = await store.completeReport(tx, report.id, {
            content_key: stored.key,
            row_count: rows,
            size_bytes: stored.bytes,
            sha256: stored.sha256,
            generated_at: meta.generatedAt,
          });
          if (!done) throw new JobInterrupted('cancelled');
          const outcome = {
            counts: { rows },
            result: { report_id: report.id, bytes: stored.bytes, sha256: stored.sha256 },
          };
          await ctx.complete(tx, outcome);
          return outcome;
        },
      );
    } catch (e) {
      // The report was deleted while its parts were being written (PostgreSQL): as if cancelled.
      if (isForeignKeyViolation(e)) throw new JobInterrupted('cancelled');
      throw e;
    }
  };

  return {
    registry,
    jobHandler,
    reportEventOf,

    async generate(ctx: TenantContext, body: GenerateReportBodyT): Promise<ReportT> {
      const provider = registry.get(body.type);
      if (!provider) {
        throw badRequest(`Report type ${body.type} is not available`, [
          {
            path: 'body.type',
            message: `must be one of ${registry
              .all()
              .map((p) => p.type)
              .join(', ')}`,
          },
        ]);
      }
      const filters = body.filters ?? {};
      const foreign = Object.keys(filters).filter((k) => !(k in provider.filters));
      if (foreign.length > 0) {
        const takes = Object.keys(provider.filters).join(', ');
        throw badRequest(
          `Filter ${foreign[0]} does not apply to ${provider.type} reports; they take ${takes}`,
          foreign.map((k) => ({
            path: `body.filters.${k}`,
            message: `not a filter of ${provider.type} reports (${takes})`,
          })),
        );
      }
      // The body's schema takes any type's values for a filter two types share (`status`): now this type's.
      const errors = filterValidator(provider)(filters);
      if (errors) {
        const first = errors[0] as FieldError;
        throw badRequest(`Invalid ${provider.type} report filters: ${first.path} ${first.message}`, errors);
      }
      provider.check?.(filters);
      const now = clock();
      const at = iso(now);
      const name = body.name ?? `${provider.title} report ${at.slice(0, 10)}`;
      const job = jobRow(ctx, name, at);
      const row: ReportRow = {
        id: newId('report'),
        tenant_id: ctx.tenant.id,
        job_id: job.id,
        type: provider.type,
        format: body.format,
        name,
        filters: JSON.stringify(filters),
        content_key: null,
        row_count: null,
        size_bytes: null,
        sha256: null,
        generated_at: null,
        created_by: ctx.principal?.id ?? null,
        created_at: at,
      };
      await db.transaction().execute(async (tx) => {
        await insertJob(tx, job);
        await store.insertReport(tx, row);
        await insertAuditEntry(
          tx,
          audit(ctx, 'report.generated', row.id, at, { type: row.type, format: row.format, name, filters }),
        );
      });
      signals.queued(job.id);
      return toReport(
        {
          ...row,
          job_status: job.status,
          job_error: null,
          job_step: job.step,
          job_progress: 0,
          started_at: null,
          finished_at: null,
        },
        ctx.tenant.slug,
        retentionMs,
      );
    },

    async list(ctx: TenantContext, query: ListReportsQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, REPORT_SORT_FIELDS, '-created_at');
      const types = enumList(
        query.type,
        registry.all().map((p) => p.type),
        'type',
        'report type',
      );
      const statuses = enumList(query.status, REPORT_STATUSES, 'status', 'report status');
      const formats = enumList(query.format, REPORT_FORMATS, 'format', 'report format');
      const { rows, total } = await store.listReportRows(
        db,
        ctx.tenant.id,
        { types, statuses, formats, expiredBefore: expiredBefore() },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map((r) => toReport(r, ctx.tenant.slug, retentionMs)), total };
    },

    async get(ctx: TenantContext, id: string): Promise<ReportT> {
      return toReport(await mustFind(ctx, id), ctx.tenant.slug, retentionMs);
    },

    /** The document, or `notModified` when the caller's If-None-Match has its ETag. 409 until it has succeeded. */
    async download(ctx: TenantContext, id: string, ifNoneMatch: string | undefined): Promise<Download> {
      const row = await mustFind(ctx, id);
      const report = toReport(row, ctx.tenant.slug, retentionMs);
      if (report.status === 'failed') {
        const reason = report.error ? `: ${report.error.message}` : '';
        throw conflict(`Report ${id} failed${reason}; generate it again`, {
          status: report.status,
          error: report.error,
        });
      }
      if (report.status !== 'succeeded' || row.content_key === null || row.sha256 === null) {
        throw conflict(`Report ${id} is not ready yet (${report.status}); download it once it has succeeded`, {
          status: report.status,
        });
      }
      const etag = `"${row.sha256}"`;
      if (etagMatches(ifNoneMatch, etag)) return { notModified: true, etag };
      const body = await contents.open({ tenantId: ctx.tenant.id, reportId: row.id, key: row.content_key });
      if (!body) {
        throw new AppError('INTERNAL_ERROR', 'Internal server error', null, {
          cause: new Error(`the content of report ${row.id} (${row.content_key}) is missing`),
        });
      }
      return {
        notModified: false,
        etag,
        contentType: CONTENT_TYPES[row.format],
        disposition: contentDisposition(row.name, row.format, row.id),
        size: Number(row.size_bytes),
        body,
      };
    },

    /**
     * Retention: deletes the reports (with their documents and jobs) that completed more than the retention
     * period ago, in batches, each in one statement. Returns how many.
     */
    async deleteExpired(): Promise<number> {
      const before = expiredBefore();
      if (before === null) return 0;
      let deleted = 0;
      for (;;) {
        const batch = await store.expiredReports(db, before, EXPIRY_BATCH);
        if (batch.length === 0) break;
        // The job's deletion takes the report and, on PostgreSQL, its parts with it (foreign-key cascade).
        await store.deleteReportJobs(
          db,
          batch.map((r) => r.job_id),
        );
        for (const r of batch) {
          if (r.content_key === null) continue;
          await contents
            .remove({ tenantId: r.tenant_id, reportId: r.id, key: r.content_key })
            .catch((err) => warn({ err, report: r.id }, 'could not delete the document of an expired report'));
        }
        deleted += batch.length;
        if (batch.length < EXPIRY_BATCH) break;
      }
      return deleted;
    },

    /** Deletes a report and its document; one still being generated is cancelled. */
    async remove(ctx: TenantContext, id: string): Promise<void> {
      const found = await mustFind(ctx, id);
      // A runner in this process stops at its next batch.
      signals.cancelRequested(found.job_id, ctx.tenant.id);
      const at = iso(clock());
      if (found.job_status === 'running') {
        // Committed on its own first: a worker elsewhere sees it at its next heartbeat and rolls its
        // transaction back, which on PostgreSQL holds the report row (its parts refer to it) that the
        // deletion below waits for.
        await transitionJob(db, found.job_id, ['running'], { cancel_requested: 1, updated_at: at });
      }
      await db.transaction().execute(async (tx) => {
        if ((await store.deleteReportRow(tx, ctx.tenant.id, id)) === 0) throw notFound('report', id);
        const stopped = await transitionJob(tx, found.job_id, ['pending', 'queued'], {
          status: 'cancelled',
          step: 'cancelled',
          finished_at: at,
          updated_at: at,
        });
        if (!stopped) await transitionJob(tx, found.job_id, ['running'], { cancel_requested: 1, updated_at: at });
        await insertAuditEntry(
          tx,
          audit(ctx, 'report.deleted', id, at, { type: found.type, format: found.format, name: found.name }),
        );
      });
      if (found.content_key) {
        await contents
          .remove({ tenantId: ctx.tenant.id, reportId: id, key: found.content_key })
          .catch((err) => deps.warn?.({ err, report: id }, 'could not delete the content of a deleted report'));
      }
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
