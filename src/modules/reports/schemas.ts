import { type Static, type TSchema, Type } from 'typebox';
import { REPORT_FORMATS } from '../../core/reports/types.ts';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import {
  NOT_BLANK,
  NullableTimestamp,
  PaginationQuery,
  SortQuery,
  StringEnum,
  Timestamp,
} from '../../platform/http/schemas.ts';
import type { ReportRegistry } from './providers.ts';

export { REPORT_FORMATS };
/** queued → running → succeeded | failed (the state of the `report` job that generates it). */
export const REPORT_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const Report = Type.Object(
  {
    id: Type.String({ examples: ['rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    type: Type.String({
      description: 'What the report is about (`inventory`, `tagging`, …).',
      examples: ['inventory'],
    }),
    format: StringEnum(REPORT_FORMATS),
    name: Type.String({ examples: ['Inventory report 2026-12-06'] }),
    status: StringEnum(REPORT_STATUSES, {
      description: 'queued → running → succeeded | failed. The document can be downloaded once succeeded.',
    }),
    filters: Type.Record(Type.String(), Type.Unknown(), { description: 'The filters it was generated with.' }),
    row_count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Rows in the document.' }),
    size_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Size of the document.' }),
    sha256: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()], {
      description: 'Hex SHA-256 of the document; also its ETag.',
    }),
    content_type: Type.String({ examples: ['text/csv; charset=utf-8'] }),
    error: Type.Union(
      [
        Type.Object(
          {
            code: Type.String({ examples: ['INTERNAL_ERROR'] }),
            message: Type.String(),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Why it failed.' },
    ),
    created_by: Type.Union([Type.String(), Type.Null()], { description: 'User or key id that asked for it.' }),
    created_at: Timestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    generated_at: Type.Union([Timestamp, Type.Null()], { description: 'When its rows were read.' }),
    download_url: Type.Union([Type.String(), Type.Null()], {
      description: 'Where to download the document once it has succeeded.',
      examples: ['/api/v1/tenants/acme/reports/rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N/download'],
    }),
  },
  { additionalProperties: false, $id: 'Report', title: 'Report' },
);
export type ReportT = Static<typeof Report>;

// ---- filters shared by the report types that read nodes ----

const List = (description: string, examples: string[]) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
    minItems: 1,
    maxItems: 1000,
    description,
    examples: [examples],
  });

/** The nodes list's filters (`GET /nodes`), as JSON: lists instead of comma-separated strings. */
export const NodeFilterFields = {
  types: List('Node types (any of).', ['aws.ec2.instance', 'aws.s3.bucket']),
  provider: List('Providers (any of).', ['aws']),
  region: List('Regions (any of).', ['us-east-1', 'global']),
  account: List('Accounts (any of).', ['111111111111']),
  source: List('`manual` or discovery job ids (any of).', ['manual']),
  tags: Type.Record(
    Type.String({ minLength: 1, maxLength: 256 }),
    Type.Array(Type.String({ maxLength: 1024 }), { minItems: 1, maxItems: 1000 }),
    {
      propertyNames: { minLength: 1, maxLength: 256 },
      maxProperties: 50,
      description: 'Tag key → values: nodes whose tag has any of them (every key must match), like `?tag.<key>=`.',
      examples: [{ app_id: ['app1', 'app2'] }],
    },
  ),
  tag_missing: List('Nodes that lack any of these tag keys.', ['cost-center']),
  q: Type.String({ minLength: 1, maxLength: 200, description: 'Substring of the name or native id (any case).' }),
  updated_since: { ...Timestamp, description: 'Only nodes updated at or after this instant.' },
} satisfies Record<string, TSchema>;

export const NodeFilters = Type.Object(NodeFilterFields, { additionalProperties: false });
export type NodeFiltersT = Partial<Static<typeof NodeFilters>>;

// ---- request schemas: the report types come from the registry ----

export const REPORT_SORT_FIELDS = ['created_at', 'completed_at', 'name', 'type', 'format'] as const;

export interface GenerateReportBodyT {
  type: string;
  format: (typeof REPORT_FORMATS)[number];
  name?: string;
  filters?: Record<string, unknown>;
}

export interface ListReportsQueryT {
  page?: number;
  per_page?: number;
  sort?: string;
  type?: string;
  status?: string;
  format?: string;
}

/**
 * The generate body and the list query, built from the registered report types: `type` accepts only
 * types with a provider, and `filters` every filter some type takes (each says which types); the
 * service then rejects a filter the chosen type does not take.
 */
export function reportRequestSchemas(registry: ReportRegistry) {
  const providers = registry.all();
  const types = providers.map((p) => p.type);
  const filterFields: Record<string, TSchema> = {};
  const takenBy = new Map<string, string[]>();
  for (const p of providers) {
    for (const [name, schema] of Object.entries(p.filters)) {
      const seen = filterFields[name];
      if (seen && JSON.stringify(seen) !== JSON.stringify(schema)) {
        throw new Error(`report filter ${name} has different schemas in two report types`);
      }
      filterFields[name] = schema;
      takenBy.set(name, [...(takenBy.get(name) ?? []), p.type]);
    }
  }
  const filters: Record<string, TSchema> = {};
  for (const [name, schema] of Object.entries(filterFields)) {
    const description = (schema as { description?: string }).description ?? '';
    filters[name] = Type.Optional({
      ...schema,
      description: `${description} Types: ${takenBy.get(name)?.join(', ')}.`,
    });
  }
  const typeDocs = providers.map((p) => `\`${p.type}\`: ${p.description}`).join(' ');

  const GenerateReportBody = Type.Object(
    {
      type: StringEnum(types, { description: `What the report is about. ${typeDocs}` }),
      format: StringEnum(REPORT_FORMATS, {
        description: '`csv` (RFC 4180, UTF-8), `json` (`{report, rows, row_count}`) or `pdf` (a printable table).',
      }),
      name: Type.Optional(
        Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK, description: 'Default: the type and date.' }),
      ),
      filters: Type.Optional(
        Type.Object(filters, {
          additionalProperties: false,
          description: 'Which rows to include; each report type takes some of these (an unknown one is a 400).',
        }),
      ),
    },
    { additionalProperties: false },
  );

  const ListReportsQuery = Type.Object(
    {
      ...PaginationQuery,
      sort: SortQuery(REPORT_SORT_FIELDS, '-created_at'),
      type: EnumListQuery(types, 'report types'),
      status: EnumListQuery(REPORT_STATUSES, 'statuses', { examples: ['succeeded'] }),
      format: EnumListQuery(REPORT_FORMATS, 'formats', { examples: ['csv,pdf'] }),
    },
    { additionalProperties: false },
  );
  return { GenerateReportBody, ListReportsQuery };
}

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
export const ReportParams = Type.Object(
  { t: Id('Tenant id or slug.'), id: Id('Report id (`rpt_…`).') },
  { additionalProperties: false },
);
