import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import { commonErrors, conflictError, Envelope, NoQuery, PageEnvelope } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import {
  AcceptFindingBody,
  ComplianceSummary,
  FindingParams,
  ListControlsQuery,
  ListFindingsQuery,
  ListRulesQuery,
  ResolveFindingBody,
} from './schemas.ts';
import type { FindingService } from './service.ts';

const FRESH =
  'Findings are re-evaluated whenever the inventory changes, and before this answer if the last evaluation is ' +
  'older than the inventory, so it always matches the current inventory.';

export async function findingRoutes(app: App, { findings }: { findings: FindingService }) {
  const FindingRef = Type.Ref('Finding');
  const tags = ['findings'];

  app.get(
    '/tenants/:t/findings',
    {
      schema: {
        operationId: 'listFindings',
        tags,
        summary: 'List findings',
        description:
          `A finding is a rule failing on a node. Filter by severity, status, rule, node, node type, framework and ` +
          `control (comma = any of); sort by severity (LOW < MEDIUM < HIGH < CRITICAL) and more. ${FRESH}`,
        params: TenantParams,
        querystring: ListFindingsQuery,
        response: { 200: PageEnvelope(FindingRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await findings.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/findings/:id',
    {
      schema: {
        operationId: 'getFinding',
        tags,
        summary: 'Get a finding',
        params: FindingParams,
        querystring: NoQuery,
        response: { 200: Envelope(FindingRef), ...commonErrors },
      },
    },
    async (req) => one(await findings.get(tenantContextOf(req), req.params.id)),
  );

  app.post(
    '/tenants/:t/findings/:id/accept',
    {
      schema: {
        operationId: 'acceptFinding',
        tags,
        summary: 'Accept the risk of a finding',
        description:
          'An OPEN finding becomes ACCEPTED with the reason (and an optional expiry, after which it is OPEN again); ' +
          'accepting an ACCEPTED one replaces its reason and expiry. ACCEPTED findings do not fail their controls. ' +
          'A RESOLVED finding cannot be accepted (409). The caller is recorded and the change audited.',
        params: FindingParams,
        body: AcceptFindingBody,
        response: { 200: Envelope(FindingRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await findings.accept(tenantContextOf(req), req.params.id, req.body)),
  );

  app.post(
    '/tenants/:t/findings/:id/resolve',
    {
      schema: {
        operationId: 'resolveFinding',
        tags,
        summary: 'Mark a finding resolved',
        description:
          'An OPEN or ACCEPTED finding becomes RESOLVED (`resolution: manual`), e.g. when it was fixed outside the ' +
          'inventory’s sources. If a newer inventory version still fails the rule, it reopens. Resolving a RESOLVED ' +
          'finding is a 409. The caller is recorded and the change audited.',
        params: FindingParams,
        body: ResolveFindingBody,
        response: { 200: Envelope(FindingRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await findings.resolve(tenantContextOf(req), req.params.id, req.body ?? {})),
  );

  app.get(
    '/tenants/:t/rules',
    {
      schema: {
        operationId: 'listRules',
        tags,
        summary: 'List the built-in rules',
        description: 'The rule catalogue findings come from: severity, what each checks, how to fix it, its controls.',
        params: TenantParams,
        querystring: ListRulesQuery,
        response: { 200: PageEnvelope(Type.Ref('Rule')), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = findings.listRules(req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  const complianceTags = ['compliance'];
  app.get(
    '/tenants/:t/compliance/summary',
    {
      schema: {
        operationId: 'getComplianceSummary',
        tags: complianceTags,
        summary: 'Compliance overview',
        description: `Overall and per-framework scores, controls by status, open findings by severity. ${FRESH}`,
        params: TenantParams,
        querystring: NoQuery,
        response: { 200: Envelope(ComplianceSummary), ...commonErrors },
      },
    },
    async (req) => one(await findings.summary(tenantContextOf(req))),
  );

  app.get(
    '/tenants/:t/compliance/frameworks',
    {
      schema: {
        operationId: 'listComplianceFrameworks',
        tags: complianceTags,
        summary: 'Framework scores',
        description: `Each framework with its controls by status and its score. ${FRESH}`,
        params: TenantParams,
        querystring: NoQuery,
        response: { 200: Envelope(Type.Array(Type.Ref('FrameworkScore'))), ...commonErrors },
      },
    },
    async (req) => one(await findings.frameworks(tenantContextOf(req))),
  );

  app.get(
    '/tenants/:t/compliance/controls',
    {
      schema: {
        operationId: 'listComplianceControls',
        tags: complianceTags,
        summary: 'Control status',
        description: `Each control Infracast checks, framework by framework in the frameworks' order. ${FRESH}`,
        params: TenantParams,
        querystring: ListControlsQuery,
        response: { 200: PageEnvelope(Type.Ref('ControlStatus')), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await findings.controls(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );
}
