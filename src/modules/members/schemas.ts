import { type Static, Type } from 'typebox';
import { ROLES } from '../../platform/auth/roles.ts';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import { NOT_BLANK, PaginationQuery, SortQuery, StringEnum, Timestamp } from '../../platform/http/schemas.ts';

export const RoleSchema = StringEnum(ROLES, { description: 'owner > admin > editor > viewer' });

export const Member = Type.Object(
  {
    id: Type.String({ description: 'Membership id (`mem_…`).' }),
    user_id: Type.String(),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    role: RoleSchema,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Member', title: 'Member' },
);
export type MemberT = Static<typeof Member>;

export const AddMemberBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320 }),
    role: RoleSchema,
    name: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: NOT_BLANK,
        description:
          "The person's name, for an account created here; an existing account keeps the name it has (its own).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const AddedMember = Type.Object(
  {
    ...Member.properties,
    initial_password: Type.Union([Type.String(), Type.Null()], {
      description: 'Set only when this call created the user account: their first password, shown once.',
    }),
  },
  { additionalProperties: false },
);

export const UpdateMemberBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

export const MEMBER_SORT_FIELDS = ['created_at', 'email', 'role'] as const;
export const ListMembersQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(MEMBER_SORT_FIELDS, 'created_at'),
    role: EnumListQuery(ROLES, 'roles', { examples: ['editor,viewer'] }),
  },
  { additionalProperties: false },
);
export type ListMembersQueryT = Static<typeof ListMembersQuery>;

export const TenantParams = Type.Object(
  { t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }) },
  { additionalProperties: false },
);
export const MemberParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Membership id or user id.' }),
  },
  { additionalProperties: false },
);
