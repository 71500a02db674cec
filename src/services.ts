import { dirname, join } from 'node:path';
/**
 * The composition root: every service built once from the database, clock and
 * configuration. The HTTP server and the standalone worker share this wiring.
 */

import { createAuthService } from './modules/auth/service.ts';
import { createFindingService, type FindingServiceDeps } from './modules/findings/service.ts';
import {
  createDiscoveryJobHandler,
  DISCOVERY_JOB_KIND,
  type DiscoveryJobDeps,
} from './modules/inventory/ingest/discovery-job.ts';
import { warmIngestThread } from './modules/inventory/ingest/session-client.ts';
import { createInventoryService } from './modules/inventory/service.ts';
import { createJobService } from './modules/jobs/service.ts';
import { createMemberService } from './modules/members/service.ts';
import { createPathTracerService } from './modules/pathtracer/service.ts';
import { databaseReportContents, fileReportContents } from './modules/reports/content.ts';
import {
  complianceReport,
  createReportRegistry,
  findingsReport,
  inventoryReport,
  taggingReport,
} from './modules/reports/providers.ts';
import { createReportService, REPORT_JOB_KIND } from './modules/reports/service.ts';
import { createTaggingService } from './modules/tagging/service.ts';
import { createTenantService } from './modules/tenants/service.ts';
import { createApiKeyService } from './modules/tokens/service.ts';
import { WEBHOOK_EVENTS, type WebhookEvent } from './modules/webhooks/schemas.ts';
import { createWebhookService } from './modules/webhooks/service.ts';
import { createJwt, loadSigningKey } from './platform/auth/jwt.ts';
import type { Config } from './platform/config.ts';
import type { Database } from './platform/db/index.ts';
import { createEventBus } from './platform/events.ts';
import { databaseInputStore, fileInputStore } from './platform/jobs/inputs.ts';
import { createJobKinds, createJobSignals } from './platform/jobs/registry.ts';
import { createOutboxDispatcher } from './platform/outbox.ts';
import { type Clock, systemClock } from './platform/time.ts';

const WEBHOOK_EVENT_SET: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock?: Clock;
  /** Tuning of discovery jobs (`infracast worker --batch-pause-ms`, tests); tests may also wrap the bulk transaction. */
  discovery?: Pick<
    DiscoveryJobDeps,
    'batchPauseMs' | 'threadMinBytes' | 'nodeBatchSize' | 'edgeBatchSize' | 'bulkTransaction' | 'beforeWrite'
  >;
  /** Tuning of findings evaluations (tests: evaluate every tenant in the worker thread). */
  findings?: Pick<FindingServiceDeps, 'threadMinNodes'>;
}

export async function createServices({
  config,
  database,
  clock = systemClock,
  discovery = {},
  findings: findingOptions = {},
}: ServiceDeps) {
  const db = database.db;
  // Event handlers run after the publisher's transaction; their failures are logged, never thrown back.
  // The logger arrives later (the app builds it), so the bus reports through a late-bound sink.
  let logEventError: (event: string, err: unknown) => void = (event, err) =>
    process.stderr.write(`infracast: event handler for ${event} failed: ${(err as Error)?.stack ?? String(err)}\n`);
  const events = createEventBus((event, err) => logEventError(event, err));
  let warn: (obj: object, msg: string) => void = (obj, msg) =>
    process.stderr.write(`infracast: ${msg}: ${String((obj as { err?: Error }).err?.stack ?? '')}\n`);
  const jwt = createJwt(await loadSigningKey(db, config.jwtSecret));
  const auth = createAuthService({
    db,
    invalidations: database.invalidations,
    clock,
    jwt,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  });
  // SQLite keeps job inputs in files beside the database; PostgreSQL in the database, for workers elsewhere.
  const jobInputs = database.file ? fileInputStore(join(dirname(database.file), 'job-inputs')) : databaseInputStore;
  // Reports' documents are kept the same way: files beside a SQLite database, rows on PostgreSQL.
  const reportContents = database.file
    ? fileReportContents(join(dirname(database.file), 'reports'), db)
    : databaseReportContents(db);
  const tenants = createTenantService({
    db,
    invalidations: database.invalidations,
    clock,
    openSignup: config.openSignup,
    tenantIdsOf: (ctx) => auth.tenantIdsOf(ctx),
    jobInputs,
    reportContents,
    warn: (obj, msg) => warn(obj, msg),
  });
  const members = createMemberService({ db, clock, invalidations: database.invalidations });
  const apiKeys = createApiKeyService({ db, clock, invalidations: database.invalidations });
  const inventory = createInventoryService({ db, dialect: database.dialect, clock, events });
  const pathtracer = createPathTracerService({ db, events, inventory });
  const tagging = createTaggingService({ db, dialect: database.dialect, clock, events });
  // Findings follow the inventory: evaluated shortly after each `inventory.changed`, and before reads if stale.
  const findings = createFindingService({
    db,
    dialect: database.dialect,
    clock,
    events,
    onError: (err, what) => warn({ err }, `${what} failed`),
    // Large tenants are evaluated in a worker thread, on a connection of its own.
    connection: database.file
      ? { dialect: 'sqlite', file: database.file }
      : database.url && database.schema
        ? { dialect: 'postgres', url: database.url, schema: database.schema }
        : null,
    ...findingOptions,
  });
  // Background jobs: modules register the kinds they run; runners (server, `infracast worker`) claim them.
  const jobKinds = createJobKinds();
  const jobSignals = createJobSignals();
  const jobs = createJobService({
    db,
    dialect: database.dialect,
    clock,
    events,
    signals: jobSignals,
    inputs: jobInputs,
    onLargeInput: warmIngestThread,
  });
  jobKinds.register(
    DISCOVERY_JOB_KIND,
    createDiscoveryJobHandler({
      db,
      exclusiveWrites: (fn) => database.exclusiveWrites(fn),
      dialect: database.dialect,
      bulkTransaction: database.bulkTransaction,
      clock,
      events,
      inputs: jobInputs,
      ...discovery,
    }),
  );
  // Reports: generated by `report` jobs. The types on offer are the providers registered here, before the app
  // is built (the API's enum comes from it); findings and compliance read through the findings service.
  const reportTypes = createReportRegistry([
    inventoryReport,
    taggingReport,
    findingsReport(findings),
    complianceReport(findings),
  ]);
  const reports = createReportService({
    db,
    dialect: database.dialect,
    clock,
    signals: jobSignals,
    contents: reportContents,
    registry: reportTypes,
    retentionMs: config.reportRetentionDays * 86_400_000,
    warn: (obj, msg) => warn(obj, msg),
  });
  jobKinds.register(REPORT_JOB_KIND, reports.jobHandler);
  // Webhooks: the events that changes record in the outbox (platform/outbox.ts) fan out into pending
  // deliveries, in the transaction that deletes them; the delivery worker, started beside the job runner,
  // posts them. Publishing one on the bus (after its commit) drains the outbox at once; workers also poll it.
  const webhooks = createWebhookService({ db, clock, allowPrivateNetworks: config.webhookAllowPrivateNetworks });
  const outbox = createOutboxDispatcher({
    db,
    dialect: database.dialect,
    clock,
    events,
    handle: async (tx, batch, emit) => {
      const toDeliver = [];
      for (const e of batch) {
        if (e.event === 'job.completed' || e.event === 'job.failed') {
          const told = await reports.reportEventOf(tx, e as Parameters<typeof reports.reportEventOf>[1]);
          if (told) emit(told);
        }
        // `job.*` events are about discovery jobs (the ones /jobs lists); report jobs' are not sent.
        if ('kind' in e.payload && e.payload.kind !== DISCOVERY_JOB_KIND) continue;
        if (!WEBHOOK_EVENT_SET.has(e.event)) continue;
        toDeliver.push({ event: e.event as WebhookEvent, payload: e.payload, at: e.created_at });
      }
      await webhooks.queueDeliveries(tx, toDeliver);
    },
    afterCommit: () => webhooks.notifyQueued(),
    onError: (err, ids) => logEventError(`outbox ${ids.join(', ')}`, err),
  });
  for (const event of WEBHOOK_EVENTS) events.subscribe(event, () => outbox.drain().then(() => {}));
  return {
    /** Sends event-handler failures and after-commit clean-up warnings to this logger from now on. */
    attachLogger(log: { error: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void }) {
      logEventError = (event, err) => log.error({ err, event }, 'event handler failed');
      warn = (obj, msg) => log.warn(obj, msg);
    },
    db,
    dialect: database.dialect,
    clock,
    events,
    auth,
    tenants,
    members,
    apiKeys,
    inventory,
    pathtracer,
    tagging,
    findings,
    jobs,
    jobKinds,
    jobSignals,
    jobInputs,
    reports,
    reportTypes,
    webhooks,
    outbox,
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
