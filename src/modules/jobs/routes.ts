import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import {
  commonErrors,
  conflictError,
  Envelope,
  NoBody,
  PageEnvelope,
  tooLargeError,
} from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import { type JobInput, readJobBody } from './body.ts';
import { CreateJobBody, JobParams, ListJobsQuery } from './schemas.ts';
import type { JobService } from './service.ts';

export interface JobRouteOptions {
  jobs: JobService;
  /** Bodies of at least this many bytes are parsed in a worker thread (default 1 MiB). */
  threadMinBytes?: number;
}

export async function jobRoutes(app: App, { jobs, threadMinBytes = 1024 * 1024 }: JobRouteOptions) {
  const JobRef = Type.Ref('Job');

  // createJob gets its own JSON parser (encapsulated: no other route sees it), which keeps a
  // 100 MB body off the event loop: see body.ts.
  await app.register(async (scoped: App) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', async (req: FastifyRequest, payload: IncomingMessage) => {
      const length = req.headers['content-length'];
      return readJobBody(payload as AsyncIterable<Buffer>, {
        declaredLength: length === undefined ? null : Number(length),
        limitBytes: req.routeOptions.bodyLimit,
        threadMinBytes,
        onLarge: () => jobs.expectLargeInput(),
      });
    });

    scoped.post(
      '/tenants/:t/jobs',
      {
        schema: {
          operationId: 'createJob',
          tags: ['jobs'],
          summary: 'Create a discovery job',
          description:
            'Stores the input and creates the job `pending`; with `"start": true` it is queued at once. ' +
            'Bodies up to INFRACAST_BODY_LIMIT_MB (100 MB by default) are accepted; larger ones are a 413.',
          params: TenantParams,
          body: CreateJobBody,
          response: { 201: Envelope(JobRef), ...commonErrors, ...tooLargeError },
        },
      },
      async (req, reply) => {
        const body = req.body as typeof req.body & { input: JobInput };
        const job = await jobs.create(tenantContextOf(req), body);
        reply.code(201).header('location', `/api/v1/tenants/${req.tenant.slug}/jobs/${job.id}`);
        return one(job);
      },
    );
  });

  app.get(
    '/tenants/:t/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'List discovery jobs',
        params: TenantParams,
        querystring: ListJobsQuery,
        response: { 200: PageEnvelope(JobRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await jobs.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'Get a discovery job',
        description: 'Status, progress, counts, and the error or result once it has finished.',
        params: JobParams,
        response: { 200: Envelope(JobRef), ...commonErrors },
      },
    },
    async (req) => one(await jobs.get(tenantContextOf(req), req.params.id)),
  );

  app.post(
    '/tenants/:t/jobs/:id/start',
    {
      schema: {
        operationId: 'startJob',
        tags: ['jobs'],
        summary: 'Start a discovery job',
        description: 'Queues a pending job (a queued or running one is left as it is). A finished job is a 409.',
        params: JobParams,
        body: NoBody,
        response: { 202: Envelope(JobRef), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const job = await jobs.start(tenantContextOf(req), req.params.id);
      reply.code(202);
      return one(job);
    },
  );

  app.post(
    '/tenants/:t/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary: 'Cancel a discovery job',
        description:
          'A pending or queued job is cancelled at once. A running job stops at its next batch boundary and its ' +
          'writes are rolled back, leaving the inventory as it was before the job (`cancel_requested` is true until then). ' +
          'A finished job is a 409.',
        params: JobParams,
        body: NoBody,
        response: { 200: Envelope(JobRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await jobs.cancel(tenantContextOf(req), req.params.id)),
  );
}
