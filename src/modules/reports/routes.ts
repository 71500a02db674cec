import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import {
  commonErrors,
  conflictError,
  Envelope,
  NoContent,
  NoQuery,
  PageEnvelope,
} from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import {
  type GenerateReportBodyT,
  type ListReportsQueryT,
  ReportDocument,
  ReportParams,
  reportRequestSchemas,
} from './schemas.ts';
import type { ReportService } from './service.ts';

const binary = (description: string) => ({ type: 'string', format: 'binary', description });

export async function reportRoutes(app: App, { reports }: { reports: ReportService }) {
  const ReportRef = Type.Ref('Report');
  const tags = ['reports'];
  // The types on offer are the registered ones: built now, from the registry.
  const { GenerateReportBody, ListReportsQuery } = reportRequestSchemas(reports.registry);

  app.post(
    '/tenants/:t/reports/generate',
    {
      schema: {
        operationId: 'generateReport',
        tags,
        summary: 'Generate a report',
        description:
          'Queues the generation of a document (CSV, JSON or PDF) about the tenant, and answers 202 with the ' +
          'report `queued`. Poll `GET …/reports/{id}` until it has `succeeded`, then download it.',
        params: TenantParams,
        body: GenerateReportBody,
        response: { 202: Envelope(ReportRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const report = await reports.generate(tenantContextOf(req), req.body as GenerateReportBodyT);
      reply.code(202).header('location', `/api/v1/tenants/${req.tenant.slug}/reports/${report.id}`);
      return one(report);
    },
  );

  app.get(
    '/tenants/:t/reports',
    {
      schema: {
        operationId: 'listReports',
        tags,
        summary: 'List reports',
        description: 'Newest first by default; filter by type, status and format.',
        params: TenantParams,
        querystring: ListReportsQuery,
        response: { 200: PageEnvelope(ReportRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query as ListReportsQueryT);
      const { items, total } = await reports.list(tenantContextOf(req), req.query as ListReportsQueryT, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/reports/:id',
    {
      schema: {
        operationId: 'getReport',
        tags,
        summary: 'Get a report',
        description: 'Its status, and once it has succeeded its size, row count, SHA-256 and download URL.',
        params: ReportParams,
        querystring: NoQuery,
        response: { 200: Envelope(ReportRef), ...commonErrors },
      },
    },
    async (req) => one(await reports.get(tenantContextOf(req), req.params.id)),
  );

  app.get(
    '/tenants/:t/reports/:id/download',
    {
      schema: {
        operationId: 'downloadReport',
        tags,
        summary: 'Download a report',
        description:
          'The document, as an attachment, with its Content-Type, Content-Length and ETag (its SHA-256): a ' +
          'request with `If-None-Match` holding it answers 304. 409 (`CONFLICT`) while the report is queued or ' +
          'running, and when it failed (with its error).',
        params: ReportParams,
        querystring: NoQuery,
        headers: Type.Object({
          'if-none-match': Type.Optional(
            Type.String({ description: 'The ETag of a copy you have: a 304 without the document when it is current.' }),
          ),
        }),
        response: {
          200: {
            description: 'The document.',
            content: {
              'text/csv': { schema: binary('CSV (RFC 4180), UTF-8, CRLF line ends.') },
              'application/json': { schema: ReportDocument },
              'application/pdf': { schema: binary('PDF 1.4.') },
            },
          },
          304: { description: 'Not modified: `If-None-Match` has the current ETag.', type: 'null' },
          ...commonErrors,
          ...conflictError,
        },
      },
    },
    async (req, reply) => {
      const d = await reports.download(tenantContextOf(req), req.params.id, req.headers['if-none-match']);
      reply.header('etag', d.etag).header('cache-control', 'private, no-cache');
      if (d.notModified) return reply.code(304).send(null);
      return reply
        .header('content-type', d.contentType)
        .header('content-length', String(d.size))
        .header('content-disposition', d.disposition)
        .header('x-content-type-options', 'nosniff')
        .send(d.body);
    },
  );

  app.delete(
    '/tenants/:t/reports/:id',
    {
      schema: {
        operationId: 'deleteReport',
        tags,
        summary: 'Delete a report',
        description: 'Deletes the report and its document; a report still being generated is cancelled.',
        params: ReportParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await reports.remove(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
