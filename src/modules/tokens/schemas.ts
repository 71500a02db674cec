import { type Static, Type } from 'typebox';
import { ROLES } from '../../platform/auth/roles.ts';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import { NOT_BLANK, NullableTimestamp, PaginationQuery, SortQuery, Timestamp } from '../../platform/http/schemas.ts';
import { RoleSchema } from '../members/schemas.ts';

/** The longest a key can live when it expires (about ten years); `never_expires` is the explicit choice. */
export const MAX_KEY_LIFETIME_DAYS = 3650;

export const API_KEY_STATUSES = ['active', 'expired', 'revoked'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

export const ApiKey = Type.Object(
  {
    id: Type.String({ examples: ['key_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    client_id: Type.String({ examples: ['icci_4f9Q2mR7xK1pL8sT3vW6yZ'] }),
    description: Type.String(),
    role: RoleSchema,
    created_at: Timestamp,
    created_by: Type.Union([Type.String(), Type.Null()], { description: 'User or key id that created it.' }),
    expires_at: NullableTimestamp,
    last_used_at: NullableTimestamp,
    revoked_at: NullableTimestamp,
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  },
  { additionalProperties: false, $id: 'ApiKey', title: 'ApiKey' },
);
export type ApiKeyT = Static<typeof ApiKey>;

export const CreatedApiKey = Type.Object(
  {
    ...ApiKey.properties,
    secret_key: Type.String({ description: 'Shown once. Send as x-secret-key with x-client-id.' }),
    token: Type.String({
      description: 'Shown once. Client ID and secret in one bearer token: `Authorization: Bearer ick_…`.',
    }),
  },
  { additionalProperties: false, title: 'CreatedApiKey' },
);

export const CreateApiKeyBody = Type.Object(
  {
    description: Type.String({
      minLength: 1,
      maxLength: 256,
      pattern: NOT_BLANK,
      examples: ['CI pipeline for infra repo'],
    }),
    role: RoleSchema,
    expires_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description: `A future instant, at most ${MAX_KEY_LIFETIME_DAYS} days away.`,
      }),
    ),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_KEY_LIFETIME_DAYS })),
    never_expires: Type.Optional(
      Type.Literal(true, { description: 'Say it explicitly to create a key that never expires.' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBodyT = Static<typeof CreateApiKeyBody>;

export const API_KEY_SORT_FIELDS = ['created_at', 'last_used_at', 'expires_at', 'description'] as const;
export const ListApiKeysQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(API_KEY_SORT_FIELDS, '-created_at'),
    role: EnumListQuery(ROLES, 'roles', { examples: ['editor,viewer'] }),
    status: EnumListQuery(API_KEY_STATUSES, 'statuses', {
      examples: ['revoked,expired'],
      extra: '`expired`: past its expiry and not revoked; `revoked`: revoked (expired or not).',
    }),
  },
  { additionalProperties: false },
);
export type ListApiKeysQueryT = Static<typeof ListApiKeysQuery>;

export const ApiKeyParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Key id (`key_…`) or client ID.' }),
  },
  { additionalProperties: false },
);
