import { tenantContextOf } from '../../../platform/context.ts';
import { pageRequest, sendPage } from '../../../platform/http/pagination.ts';
import { commonErrors, Envelope, PageEnvelope } from '../../../platform/http/schemas.ts';
import { type App, one } from '../../../platform/http/types.ts';
import { TenantParams } from '../../members/schemas.ts';
import {
  CompliancePoint,
  ComplianceQuery,
  HistoryQuery,
  NonCompliantResource,
  PolicyParams,
  TaggingCompliance,
  ViolationsQuery,
} from '../schemas.ts';
import type { TaggingService } from '../service.ts';

export async function taggingComplianceRoutes(app: App, { tagging }: { tagging: TaggingService }) {
  app.get(
    '/tenants/:t/tagging-policies/compliance',
    {
      schema: {
        operationId: 'getTaggingCompliance',
        tags: ['tagging'],
        summary: 'Tagging compliance of the inventory',
        description:
          'The share of covered resources (taggable ones at least one enabled policy applies to) whose tags satisfy ' +
          'every enabled policy in scope: overall, by policy, by tag key, by resource type and by account, with the ' +
          'most common invalid values and the closest allowed ones. A resource no enabled policy covers is counted in ' +
          '`taggable` but not in `covered`, never as compliant; with none covered, `percent` is null.',
        params: TenantParams,
        querystring: ComplianceQuery,
        response: { 200: Envelope(TaggingCompliance), ...commonErrors },
      },
    },
    async (req) => one(await tagging.compliance(tenantContextOf(req), req.query.top ?? 10)),
  );

  app.get(
    '/tenants/:t/tagging-policies/compliance/history',
    {
      schema: {
        operationId: 'getTaggingComplianceHistory',
        tags: ['tagging'],
        summary: 'Tagging compliance over time',
        description:
          'Snapshots taken after every discovery job and once a day, oldest first, with the figures by policy and key.',
        params: TenantParams,
        querystring: HistoryQuery,
        response: { 200: PageEnvelope(CompliancePoint), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await tagging.history(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.get(
    '/tenants/:t/tagging-policies/:id/violations',
    {
      schema: {
        operationId: 'listTaggingPolicyViolations',
        tags: ['tagging'],
        summary: 'List the inventory resources that break a policy',
        description:
          'Each non-compliant resource with its missing and invalid tags and suggestions. Works for a disabled ' +
          'policy too, to see its impact before enabling it.',
        params: PolicyParams,
        querystring: ViolationsQuery,
        response: { 200: PageEnvelope(NonCompliantResource), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await tagging.violations(tenantContextOf(req), req.params.id, req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );
}
