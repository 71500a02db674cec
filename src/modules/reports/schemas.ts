import { type Static, type TSchema, Type } from 'typebox';
import { REPORT_FORMATS } from '../../core/reports/types.ts';
import { CONTROL_STATUSES, FRAMEWORK_IDS, RULES, SEVERITIES } from '../../core/rules/index.ts';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import {
  NOT_BLANK,
  NullableTimestamp,
  PaginationQuery,
  SortQuery,
  StringEnum,
  Timestamp,
} from '../../platform/http/schemas.ts';
import { FINDING_STATUSES } from '../findings/schemas.ts';
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
    progress: Type.Integer({
      minimum: 0,
      maximum: 100,
      description:
        'How far the generation is, in percent of the items it reads (nodes, findings): 0 while queued, 100 ' +
        'once succeeded; where it stopped, if it failed.',
      examples: [40],
    }),
    step: Type.Union([Type.String(), Type.Null()], {
      description:
        'While it runs, what the generator is doing: `reading`, then `writing (N rows)` as rows are written; ' +
        'null otherwise.',
      examples: ['writing (12000 rows)'],
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
    expires_at: Type.Union([Timestamp, Type.Null()], {
      description:
        'When the report and its document will be deleted (INFRACAST_REPORT_RETENTION_DAYS after it completed); ' +
        'null while it runs, or when reports are kept for ever.',
    }),
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

// ---- filters of the findings and compliance reports ----

const EnumArray = <const T extends readonly string[]>(values: T, description: string, examples: T[number][]) =>
  Type.Array(StringEnum(values), {
    minItems: 1,
    maxItems: values.length,
    description,
    examples: [examples],
  });

/** One framework; the findings and compliance reports share it. */
const FrameworkFilter = StringEnum(FRAMEWORK_IDS, {
  description:
    'A framework id, `cis-aws-foundations` (CIS AWS Foundations Benchmark) or `aws-fsbp` (AWS Foundational ' +
    'Security Best Practices): the findings of rules backing its controls, or its controls.',
  examples: ['cis-aws-foundations'],
});

/** The findings list's filters (`GET /findings`), as JSON. */
export const FindingFilterFields = {
  severity: EnumArray(SEVERITIES, 'Severities (any of): `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.', ['HIGH', 'CRITICAL']),
  status: EnumArray(FINDING_STATUSES, 'Finding statuses (any of): `OPEN`, `ACCEPTED`, `RESOLVED`. Default: all.', [
    'OPEN',
  ]),
  rule_id: EnumArray(
    RULES.map((r) => r.id),
    'Rule ids (any of); see GET /tenants/{t}/rules.',
    ['aws.sg.ssh_open_to_internet'],
  ),
  types: NodeFilterFields.types,
  framework: FrameworkFilter,
  control: Type.String({
    minLength: 1,
    maxLength: 100,
    description:
      'A control id, e.g. `5.2`: findings of the rules behind it (within `framework` when given). An unknown ' +
      'control is a 400.',
    examples: ['5.2'],
  }),
} satisfies Record<string, TSchema>;
export const FindingFilters = Type.Object(FindingFilterFields, { additionalProperties: false });
export type FindingFiltersT = Partial<Static<typeof FindingFilters>>;

/** The compliance controls list's filters (`GET /compliance/controls`), as JSON. */
export const ComplianceFilterFields = {
  framework: FrameworkFilter,
  status: EnumArray(CONTROL_STATUSES, 'Control statuses (any of): `PASS`, `FAIL`, `NOT_APPLICABLE`.', ['FAIL']),
} satisfies Record<string, TSchema>;
export const ComplianceFilters = Type.Object(ComplianceFilterFields, { additionalProperties: false });
export type ComplianceFiltersT = Partial<Static<typeof ComplianceFilters>>;

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
 * types with a provider, and `filters` every filter some type takes (each says which types). A filter
 * two types take with different schemas (`status`) accepts any of them here (`anyOf`, one branch per
 * schema); the service then checks the filters against the chosen type's own schemas, and rejects a
 * filter it does not take.
 */
export function reportRequestSchemas(registry: ReportRegistry) {
  const providers = registry.all();
  const types = providers.map((p) => p.type);
  /** Per filter name, its distinct schemas and the types taking each. */
  const variants = new Map<string, { schema: TSchema; json: string; types: string[] }[]>();
  for (const p of providers) {
    for (const [name, schema] of Object.entries(p.filters)) {
      const json = JSON.stringify(schema);
      const known = variants.get(name) ?? [];
      variants.set(name, known);
      const same = known.find((v) => v.json === json);
      if (same) same.types.push(p.type);
      else known.push({ schema, json, types: [p.type] });
    }
  }
  const described = (v: { schema: TSchema; types: string[] }) =>
    ({
      ...v.schema,
      description: `${(v.schema as { description?: string }).description ?? ''} Types: ${v.types.join(', ')}.`,
    }) as TSchema;
  const filters: Record<string, TSchema> = {};
  for (const [name, list] of variants) {
    filters[name] = Type.Optional(
      list.length === 1
        ? described(list[0] as (typeof list)[number])
        : Type.Union(list.map(described), { description: 'Depends on the report type; one schema per type.' }),
    );
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
/** A `json` report's document, as downloaded (src/core/reports/json.ts writes it). */
export const ReportDocument = Type.Object(
  {
    report: Type.Object(
      {
        id: Type.String({ examples: ['rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
        name: Type.String(),
        type: Type.String({ examples: ['inventory'] }),
        tenant: Type.String({ description: "The tenant's slug." }),
        generated_at: Timestamp,
        filters: Type.Record(Type.String(), Type.Unknown(), { description: 'The filters it was generated with.' }),
        columns: Type.Array(Type.String(), { description: 'The keys of every row, in order.' }),
      },
      { additionalProperties: false },
    ),
    rows: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      description: 'One object per row with every column as a key (null when empty); tags stay objects, lists arrays.',
    }),
    row_count: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, description: 'A `json` report: `{report, rows, row_count}`.' },
);

export const ReportParams = Type.Object(
  { t: Id('Tenant id or slug.'), id: Id('Report id (`rpt_…`).') },
  { additionalProperties: false },
);
