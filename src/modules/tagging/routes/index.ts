/** Every tagging route under `/api/v1`, and the seed-compatible one outside it. */
import type { App } from '../../../platform/http/types.ts';
import type { TaggingService } from '../service.ts';
import { taggingComplianceRoutes } from './compliance.ts';
import { taggingPolicyRoutes } from './policies.ts';
import { taggingValidateRoutes } from './validate.ts';

export { taggingCompatRoutes } from './compat.ts';

export async function taggingRoutes(app: App, opts: { tagging: TaggingService }) {
  await app.register(taggingPolicyRoutes, opts);
  await app.register(taggingValidateRoutes, opts);
  await app.register(taggingComplianceRoutes, opts);
}
