import { tenantContextOf } from '../../../platform/context.ts';
import { commonErrors, Envelope } from '../../../platform/http/schemas.ts';
import { type App, one } from '../../../platform/http/types.ts';
import { TenantParams } from '../../members/schemas.ts';
import { ValidateBody, ValidateQuery, ValidationResult } from '../schemas.ts';
import type { TaggingService } from '../service.ts';

export async function taggingValidateRoutes(app: App, { tagging }: { tagging: TaggingService }) {
  app.post(
    '/tenants/:t/tagging-policies/validate',
    {
      schema: {
        operationId: 'validateTaggingPlan',
        tags: ['tagging'],
        summary: 'Validate a Terraform plan against the tagging policies',
        description:
          'Send `terraform show -json plan.out` as the body (or `{"plan": …, "policy_ids": […]}`). Answers with a ' +
          'summary and every violation: resource address, key, value found, the custom message and the closest allowed ' +
          'values. Tags known only after apply are `unknown`, never failures. `summary.blocking > 0` means a `block` ' +
          'policy failed. `summary.percent` is over the resources a policy covers (`summary.covered`). A disabled ' +
          'policy named in `policy_ids` is checked as if enabled and listed with `enabled: false`. A body that is ' +
          'not a plan is a 400 saying what is wrong.',
        params: TenantParams,
        querystring: ValidateQuery,
        body: ValidateBody,
        response: { 200: Envelope(ValidationResult), ...commonErrors },
      },
    },
    async (req) =>
      one(
        await tagging.validate(
          tenantContextOf(req),
          req.body as Record<string, unknown>,
          req.query.include === 'resources',
        ),
      ),
  );
}
