import { type Static, Type } from 'typebox';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import { NOT_BLANK, PaginationQuery, SortQuery, StringEnum, Timestamp } from '../../platform/http/schemas.ts';

export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** The seed's table: requests per minute and burst per plan. */
export const PLAN_RATE_LIMITS: Record<Plan, { perMinute: number; burst: number }> = {
  free: { perMinute: 60, burst: 10 },
  pro: { perMinute: 300, burst: 50 },
  enterprise: { perMinute: 1000, burst: 100 },
};

export const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
  description: 'Lowercase letters, digits and dashes; 2–63 characters; usable in place of the id in every path.',
  examples: ['acme'],
});
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK, examples: ['Acme Corp'] });
const PlanSchema = StringEnum(PLANS, {
  description: 'Sets the rate limit: free 60/min burst 10, pro 300/50, enterprise 1000/100.',
});

const Limit = Type.Integer({ minimum: 1, maximum: 1_000_000 });

/** A change to the override: a member left out keeps its current value, null takes the plan's. */
const RateLimitPatch = Type.Object(
  {
    per_minute: Type.Optional(Type.Union([Limit, Type.Null()])),
    burst: Type.Optional(Type.Union([Limit, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Tenant = Type.Object(
  {
    id: Type.String({ examples: ['ten_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    slug: Slug,
    name: Name,
    plan: PlanSchema,
    rate_limit: Type.Object(
      {
        per_minute: Type.Integer(),
        burst: Type.Integer(),
        source: Type.Union([Type.Literal('plan'), Type.Literal('override')]),
      },
      { additionalProperties: false },
    ),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Tenant', title: 'Tenant' },
);
export type TenantT = Static<typeof Tenant>;

export const CreateTenantBody = Type.Object(
  { slug: Slug, name: Name, plan: Type.Optional(PlanSchema) },
  { additionalProperties: false },
);
export type CreateTenantBodyT = Static<typeof CreateTenantBody>;

/** The seed's `PUT /tenants/{id}` ("Update tenant"): the fields given change, the others keep their values. */
export const ReplaceTenantBody = Type.Object(
  { slug: Type.Optional(Slug), name: Type.Optional(Name), plan: Type.Optional(PlanSchema) },
  { additionalProperties: false, minProperties: 1 },
);
export type ReplaceTenantBodyT = Static<typeof ReplaceTenantBody>;

export const UpdateTenantBody = Type.Object(
  {
    slug: Type.Optional(Slug),
    name: Type.Optional(Name),
    plan: Type.Optional(PlanSchema),
    rate_limit: Type.Optional(
      Type.Union([RateLimitPatch, Type.Null()], {
        description:
          "Platform admins only: override the plan's rate limit. Merged into the limit in force (as a JSON merge " +
          "patch): a member left out keeps its current value, a member set to null takes the plan's; " +
          "`rate_limit: null` restores the plan's limit.",
        examples: [{ per_minute: 5000, burst: 100 }],
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTenantBodyT = Static<typeof UpdateTenantBody>;

export const TENANT_SORT_FIELDS = ['created_at', 'updated_at', 'name', 'slug'] as const;

export const ListTenantsQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(TENANT_SORT_FIELDS, 'created_at'),
    plan: EnumListQuery(PLANS, 'plans', { examples: ['pro,enterprise'] }),
    q: Type.Optional(
      Type.String({ maxLength: 200, pattern: NOT_BLANK, description: 'Substring of the slug or name.' }),
    ),
  },
  { additionalProperties: false },
);
export type ListTenantsQueryT = Static<typeof ListTenantsQuery>;

export const TenantIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }) },
  { additionalProperties: false },
);
