import { type Static, Type } from 'typebox';
import { INGEST_SOURCES } from '../../core/ingest/index.ts';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import {
  NOT_BLANK,
  NullableTimestamp,
  PaginationQuery,
  SortQuery,
  StringEnum,
  Timestamp,
} from '../../platform/http/schemas.ts';
import { JOB_STATUSES } from '../../platform/jobs/types.ts';

export { INGEST_SOURCES as JOB_SOURCES };

export const JobSource = StringEnum(INGEST_SOURCES, {
  description:
    '`terraform_state`: a .tfstate (v4) or `terraform show -json` of a state; `terraform_plan`: `terraform show -json` of a plan; ' +
    '`aws_snapshot`: AWS CLI describe/list output.',
});
export const JobStatus = StringEnum(JOB_STATUSES, {
  description: 'pending → queued → running → succeeded | failed | cancelled',
});

const Count = Type.Integer({ minimum: 0 });

export const JobCounts = Type.Object(
  {
    created: { ...Count, description: 'Nodes that did not exist before.' },
    updated: { ...Count, description: 'Nodes whose content changed.' },
    unchanged: { ...Count, description: 'Nodes seen again as they were (not rewritten).' },
    removed: {
      ...Count,
      description: "Nodes of the input's scopes that it no longer contains (deleted with their edges).",
    },
    edges: { ...Count, description: 'Edges in the input (after dropping those whose ends are unknown).' },
  },
  { additionalProperties: false },
);

export const JobErrorSchema = Type.Object(
  {
    code: Type.String({
      description:
        "`INVALID_INPUT` (a document could not be parsed: see message and details), `INVENTORY_CHANGED` (nodes the input's edges point at kept being deleted while it was written), `ATTEMPTS_EXCEEDED`, `INTERNAL_ERROR`.",
      examples: ['INVALID_INPUT'],
    }),
    message: Type.String({
      examples: ['document "ec2-describe-instances.json": Reservations[3].Instances[0].InstanceId must be a string'],
    }),
    details: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Object(
          {
            document: Type.Union([Type.String(), Type.Null()], { description: 'The document that failed.' }),
            path: Type.Union([Type.String(), Type.Null()], { description: 'The field in it.' }),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const JobResult = Type.Object(
  {
    skipped_documents: Type.Array(Type.String(), { description: 'Documents recognised as nothing known (not fatal).' }),
    warnings: Type.Array(Type.String(), { description: 'Non-fatal observations (the first 500).' }),
    warnings_total: Count,
    scopes: Type.Array(Type.String(), {
      description:
        'Scopes the input covers (source + account/region, or state lineage): what removal compares against.',
    }),
    edges: Type.Object(
      { created: Count, updated: Count, unchanged: Count, removed: Count, skipped: Count },
      { additionalProperties: false },
    ),
    inventory_version: Type.Optional(
      Type.Integer({ minimum: 0, description: "The tenant's inventory version once this job had committed." }),
    ),
    content_sha256: Type.Optional(
      Type.String({
        description:
          'SHA-256 of the rows the input makes (scopes, then each node and edge id with its content hash): equal ' +
          'for inputs that write the same inventory, whatever their bytes.',
      }),
    ),
    same_content_as: Type.Optional(
      Type.String({
        description:
          'Set when the parsed input had the content digest of this earlier job and the inventory had not changed ' +
          'since: nothing needed comparing, everything counted unchanged.',
      }),
    ),
    parser_version: Type.Optional(
      Type.String({
        description:
          'Digest of the parsing code that made the rows: an input is reused as unchanged only by jobs of the ' +
          'same code, so after an upgrade the same input is read again.',
      }),
    ),
    state_sha256: Type.Optional(
      Type.String({
        description:
          "Terraform states: SHA-256 of the state's text without its top-level `serial` (and of the job name and " +
          'parser version); equal for new serials of a state whose resources did not change.',
      }),
    ),
    same_state_as: Type.Optional(
      Type.String({
        description:
          'Set when the state differed from that of this earlier job only in its serial and the inventory had not ' +
          'changed since: its outcome was reused, everything counted unchanged, without parsing the state.',
      }),
    ),
    same_input_as: Type.Optional(
      Type.String({
        description:
          'Set when the input was byte-for-byte that of this earlier job and the inventory had not changed since: ' +
          'its outcome was reused, everything counted unchanged, without parsing the input again.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Job = Type.Object(
  {
    id: Type.String({ examples: ['job_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    name: Type.String(),
    source: JobSource,
    status: JobStatus,
    progress: Type.Object(
      {
        percent: Type.Integer({ minimum: 0, maximum: 100 }),
        step: Type.Union([Type.String(), Type.Null()], {
          description: 'reading input, parsing, comparing, writing, done…',
          examples: ['writing'],
        }),
      },
      { additionalProperties: false },
    ),
    counts: JobCounts,
    error: Type.Union([JobErrorSchema, Type.Null()]),
    result: Type.Union([JobResult, Type.Null()]),
    input_bytes: Count,
    input_sha256: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()], {
      description:
        'SHA-256 (hex) of the stored input. Re-submitting an input the inventory already reflects is recognised by it.',
    }),
    attempts: { ...Count, description: 'How many times a worker claimed the job.' },
    cancel_requested: Type.Boolean({ description: 'A cancel was asked while the job was running.' }),
    created_by: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    queued_at: NullableTimestamp,
    started_at: NullableTimestamp,
    finished_at: NullableTimestamp,
  },
  { additionalProperties: false, $id: 'Job', title: 'Job' },
);
export type JobT = Static<typeof Job>;

export const CreateJobBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK, examples: ['prod network state'] }),
    source: JobSource,
    input: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      description:
        'The document. Terraform: the state/plan JSON itself, or `{document, region?, account_id?, provider_regions?}` to give defaults. ' +
        'AWS: `{account_id?, region?, documents: [{name, region?, account_id?, content}]}`. Up to the body limit (100 MB by default).',
      examples: [{ version: 4, lineage: '3f7c1a52-…', resources: [] }],
    }),
    start: Type.Optional(Type.Boolean({ default: false, description: 'Queue the job at once.' })),
  },
  { additionalProperties: false },
);
export type CreateJobBodyT = Static<typeof CreateJobBody>;

export const JOB_SORT_FIELDS = ['created_at', 'updated_at', 'finished_at', 'name', 'status'] as const;
export const ListJobsQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(JOB_SORT_FIELDS, '-created_at'),
    status: EnumListQuery(JOB_STATUSES, 'statuses', { examples: ['running,queued'] }),
    source: EnumListQuery(INGEST_SOURCES, 'sources', { examples: ['terraform_state,terraform_plan'] }),
  },
  { additionalProperties: false },
);
export type ListJobsQueryT = Static<typeof ListJobsQuery>;

export const JobParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Job id (`job_…`).' }),
  },
  { additionalProperties: false },
);
