import { Type } from 'typebox';
import type { Db } from '../../platform/db/index.ts';
import { CsvQuery, EnumListQuery, enumList } from '../../platform/http/list-filters.ts';
import { csv, pageRequest, parseSort, sendPage } from '../../platform/http/pagination.ts';
import { commonErrors, PageEnvelope, PaginationQuery, SortQuery, Timestamp } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/types.ts';
import { isoAtOrAfter } from '../../platform/time.ts';
import { TenantParams } from '../members/schemas.ts';
import { AUDIT_TARGET_TYPES, listAuditRows } from './store.ts';

const AuditEntry = Type.Object(
  {
    id: Type.String(),
    actor_type: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('system')]),
    actor_id: Type.Union([Type.String(), Type.Null()]),
    action: Type.String({ examples: ['api_key.created'] }),
    target_type: Type.Union([Type.String(), Type.Null()]),
    target_id: Type.Union([Type.String(), Type.Null()]),
    summary: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description:
        'What changed, by action. Tagging policies: `tags` lists per key `values_added`/`values_removed` (exact counts) ' +
        'and `added_values`/`removed_values` (sorted; at most 100 per key and 1,000 per entry, `truncated: true` when cut).',
    }),
    request_id: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { additionalProperties: false },
);

const ListAuditQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(['created_at'], '-created_at'),
    actor: CsvQuery('Comma-separated actor ids: user or key ids (any of).'),
    action: CsvQuery('Comma-separated actions (any of); `member.*` matches every action that starts with `member.`.', {
      examples: ['api_key.*,member.added'],
    }),
    target_type: EnumListQuery(AUDIT_TARGET_TYPES, 'target types', { examples: ['tagging_policy,api_key'] }),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries at or after this instant.' })),
  },
  { additionalProperties: false },
);

export async function auditRoutes(app: App, { db }: { db: Db }) {
  app.get(
    '/tenants/:t/audit-log',
    {
      schema: {
        operationId: 'listAuditLog',
        tags: ['audit'],
        summary: 'Who did what in this tenant',
        params: TenantParams,
        querystring: ListAuditQuery,
        response: { 200: PageEnvelope(AuditEntry), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const sort = parseSort(req.query.sort, ['created_at'] as const, '-created_at');
      const { rows, total } = await listAuditRows(
        db,
        req.tenant.id,
        {
          actors: csv(req.query.actor),
          actions: csv(req.query.action),
          targetTypes: enumList(req.query.target_type, AUDIT_TARGET_TYPES, 'target_type', 'target type'),
          since: req.query.since ? isoAtOrAfter(req.query.since) : undefined,
        },
        sort,
        page.perPage,
        page.offset,
      );
      const items = rows.map(({ tenant_id: _t, summary, ...r }) => ({
        ...r,
        summary: summary ? (JSON.parse(summary) as Record<string, unknown>) : null,
      }));
      return sendPage(req, reply, items, total, page);
    },
  );
}
