import { Type } from 'typebox';
import { type TenantContext, tenantContextOf } from '../../../platform/context.ts';
import { isMergePatch, MERGE_PATCH } from '../../../platform/http/merge-patch.ts';
import { pageRequest, sendPage } from '../../../platform/http/pagination.ts';
import { commonErrors, conflictError, Envelope, NoContent, PageEnvelope } from '../../../platform/http/schemas.ts';
import { type App, one } from '../../../platform/http/types.ts';
import { TenantParams } from '../../members/schemas.ts';
import {
  ListPoliciesQuery,
  PolicyBody,
  type PolicyBodyT,
  PolicyMergePatch,
  type PolicyMergePatchT,
  PolicyParams,
} from '../schemas.ts';
import type { TaggingService } from '../service.ts';

const BODY_FORMS =
  'The fields may be sent plainly (`{"name": …, "tags": […]}`) or as the seed\'s JSON:API body ' +
  '(`{"data": {"attributes": {…}}}`), not both. An unknown field is a 400 naming it.';

export const MERGE_PATCH_NOTE =
  `As \`${MERGE_PATCH}\`, the body is an RFC 7396 merge patch: objects (\`scope\` and what it holds) merge ` +
  'member by member, null removes a member (it takes its default), lists are replaced whole, and the merged ' +
  'policy is checked as a PUT body.';

/**
 * A policy PATCH body by media type: `application/json` names fields that replace their values,
 * `application/merge-patch+json` is a merge patch (validated per type, and documented so).
 */
export const PolicyPatchBody = {
  content: {
    'application/json': { schema: PolicyBody },
    [MERGE_PATCH]: { schema: PolicyMergePatch },
  },
};

/** PATCH by its media type; a request without a body (nothing to validate) is a PATCH of nothing. */
export function patchPolicy(
  tagging: TaggingService,
  req: { headers: Record<string, unknown>; body: unknown },
  ctx: TenantContext,
  id: string,
  via: 'compat' | null = null,
) {
  const body = req.body ?? {};
  return isMergePatch(req.headers['content-type'] as string | undefined)
    ? tagging.mergePatch(ctx, id, body as PolicyMergePatchT, via)
    : tagging.update(ctx, id, body as PolicyBodyT, via);
}

export async function taggingPolicyRoutes(app: App, { tagging }: { tagging: TaggingService }) {
  const PolicyRef = Type.Ref('TaggingPolicy');

  app.get(
    '/tenants/:t/tagging-policies',
    {
      schema: {
        operationId: 'listTaggingPolicies',
        tags: ['tagging'],
        summary: 'List tagging policies',
        description: 'Each policy with its rules and every allowed value.',
        params: TenantParams,
        querystring: ListPoliciesQuery,
        response: { 200: PageEnvelope(PolicyRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await tagging.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.post(
    '/tenants/:t/tagging-policies',
    {
      schema: {
        operationId: 'createTaggingPolicy',
        tags: ['tagging'],
        summary: 'Create a tagging policy',
        description:
          `Needs \`name\` and \`tags\`; \`enabled\` defaults to true and \`enforcement\` to \`warn\`. ${BODY_FORMS} ` +
          'The id is a UUID assigned by the server. Regexes are compiled and checked for catastrophic backtracking (400).',
        params: TenantParams,
        body: PolicyBody,
        response: { 201: Envelope(PolicyRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const policy = await tagging.create(tenantContextOf(req), req.body);
      reply
        .code(201)
        .header('location', `/api/v1/tenants/${encodeURIComponent(req.tenant.slug)}/tagging-policies/${policy.id}`);
      return one(policy);
    },
  );

  app.get(
    '/tenants/:t/tagging-policies/:id',
    {
      schema: {
        operationId: 'getTaggingPolicy',
        tags: ['tagging'],
        summary: 'Get a tagging policy',
        params: PolicyParams,
        response: { 200: Envelope(PolicyRef), ...commonErrors },
      },
    },
    async (req) => one(await tagging.get(tenantContextOf(req), req.params.id)),
  );

  app.put(
    '/tenants/:t/tagging-policies/:id',
    {
      schema: {
        operationId: 'replaceTaggingPolicy',
        tags: ['tagging'],
        summary: 'Replace a tagging policy',
        description: `The whole definition: fields left out take their defaults. ${BODY_FORMS}`,
        params: PolicyParams,
        body: PolicyBody,
        response: { 200: Envelope(PolicyRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await tagging.replace(tenantContextOf(req), req.params.id, req.body)),
  );

  app.patch(
    '/tenants/:t/tagging-policies/:id',
    {
      schema: {
        operationId: 'updateTaggingPolicy',
        tags: ['tagging'],
        summary: 'Update a tagging policy',
        description:
          'As `application/json`, changes only the fields named; a list (`tags`, `exemptions`) or the `scope` is ' +
          `replaced as a whole. ${MERGE_PATCH_NOTE} ` +
          `The seed's body \`{"data":{"attributes":{"tags":[…]}}}\` works as is. ${BODY_FORMS} ` +
          'An empty patch is a 400.',
        params: PolicyParams,
        body: PolicyPatchBody,
        response: { 200: Envelope(PolicyRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await patchPolicy(tagging, req, tenantContextOf(req), req.params.id)),
  );

  app.delete(
    '/tenants/:t/tagging-policies/:id',
    {
      schema: {
        operationId: 'deleteTaggingPolicy',
        tags: ['tagging'],
        summary: 'Delete a tagging policy',
        params: PolicyParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await tagging.delete(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
