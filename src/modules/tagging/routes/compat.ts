import { tenantContextOf } from '../../../platform/context.ts';
import { commonErrors, conflictError, Envelope } from '../../../platform/http/schemas.ts';
import { type App, one } from '../../../platform/http/types.ts';
import { CompatPolicy, CompatPolicyParams, type TaggingPolicyT } from '../schemas.ts';
import type { TaggingService } from '../service.ts';
import { MERGE_PATCH_NOTE, PolicyPatchBody, patchPolicy } from './policies.ts';

/** `{id, …}` → the seed's JSON:API resource `{id, type, attributes}`. */
export function toCompatPolicy({ id, ...attributes }: TaggingPolicyT) {
  return { id, type: 'tagging-policies' as const, attributes };
}

/**
 * The seed's exact request, `PATCH /v1/orgs/{org}/tagging-policies/{id}` with
 * an API key as the bearer token, so a script written for the seed's API only
 * changes its host. Registered outside `/api/v1`; the org is the tenant slug.
 */
export async function taggingCompatRoutes(app: App, { tagging }: { tagging: TaggingService }) {
  app.patch(
    '/v1/orgs/:org/tagging-policies/:id',
    {
      config: { tenantParam: 'org' },
      schema: {
        operationId: 'updateTaggingPolicyCompat',
        tags: ['tagging'],
        summary: 'Update a tagging policy (seed-compatible path)',
        description:
          "Same as `PATCH /api/v1/tenants/{t}/tagging-policies/{id}`, at the path the seed's curl example uses, " +
          'answering in its shape: `{"data": {"id", "type": "tagging-policies", "attributes": {…}}}`. ' +
          MERGE_PATCH_NOTE,
        params: CompatPolicyParams,
        body: PolicyPatchBody,
        response: { 200: Envelope(CompatPolicy), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(toCompatPolicy(await patchPolicy(tagging, req, tenantContextOf(req), req.params.id, 'compat'))),
  );
}
