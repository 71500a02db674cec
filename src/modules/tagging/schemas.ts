/**
 * Tagging policies over HTTP: the policy, its two body forms (plain fields, or
 * the seed's `{"data":{"attributes":{…}}}`), plan validation, compliance and
 * its history. Field names of tag rules follow the seed exactly (`key`,
 * `mandatory`, `valueType`, `allowedValues`, `allowedRegex`, `caseSensitive`,
 * `message`); the engine's types are in src/core/tagging/types.ts.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { MAX_PATTERN_LENGTH, SCOPE_PROVIDERS } from '../../core/tagging/index.ts';
import { CsvQuery, EnumListQuery } from '../../platform/http/list-filters.ts';
import { type MergePatch, mergePatchSchema } from '../../platform/http/merge-patch.ts';
import { NOT_BLANK, PaginationQuery, SortQuery, StringEnum, Timestamp } from '../../platform/http/schemas.ts';

export const VALUE_TYPES = ['ANY', 'LIST', 'REGEX'] as const;
export const ENFORCEMENTS = ['warn', 'block'] as const;
export const SNAPSHOT_TRIGGERS = ['job', 'daily'] as const;
export const VIOLATION_KINDS = ['missing', 'invalid'] as const;
/** Comfortably above the 50,000 CMDB values one request must carry. */
export const MAX_ALLOWED_VALUES = 100_000;
export const MAX_RULES = 500;
export const MAX_EXEMPTIONS = 10_000;

/**
 * `{type: [T, 'null']}` rather than `anyOf`: Ajv then says "must be string,null"
 * instead of two branch errors, and the serializer needs no runtime branch check.
 */
const nullable = <T>(type: 'string' | 'integer' | 'number', options: Record<string, unknown> = {}) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...options });
const NullableString = (options: Record<string, unknown> = {}) => nullable<string>('string', options);

/**
 * An ISO date (`2027-03-31`) or an RFC 3339 date-time with its zone, checked with the `date` and
 * `date-time` formats every other date of the API uses: an impossible day (`2027-02-30`) is a 400
 * naming the field, not a date rolled over into March. Formats and lengths check strings only, so a
 * nullable field still takes null.
 */
const DATE_OR_DATE_TIME = { minLength: 10, anyOf: [{ format: 'date' }, { format: 'date-time' }] };

// Tag keys: AWS allows 128 characters, Azure 512; values: 256 on AWS and Azure (63 on GCP).
const TagKey = Type.String({ minLength: 1, maxLength: 512, examples: ['app_id'] });
const TagValue = Type.String({ maxLength: 256 });

// ---------------------------------------------------------------------------
// Requests

export const TagRuleInput = Type.Object(
  {
    key: TagKey,
    mandatory: Type.Optional(
      Type.Boolean({ default: false, description: 'A resource without this key fails. Default false.' }),
    ),
    valueType: StringEnum(VALUE_TYPES, {
      description: '`LIST`: one of `allowedValues`; `REGEX`: the whole value matches `allowedRegex`; `ANY`: any value.',
    }),
    allowedValues: Type.Optional(
      Type.Array(TagValue, {
        maxItems: MAX_ALLOWED_VALUES,
        description:
          'LIST only. Thousands are fine (e.g. synced from a CMDB). Duplicates are removed (case-insensitively when ' +
          '`caseSensitive` is false); values are trimmed only when the policy sets `trim_values`.',
        examples: [['app1', 'app2', 'app3']],
      }),
    ),
    allowedRegex: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PATTERN_LENGTH,
        description:
          'REGEX only. JavaScript syntax, anchored for you. Invalid patterns and patterns that can backtrack ' +
          'catastrophically are rejected with a 400.',
        examples: ['^cc-[0-9]{3}$'],
      }),
    ),
    caseSensitive: Type.Optional(
      Type.Boolean({ default: true, description: 'When false, LIST and REGEX compare case-insensitively.' }),
    ),
    message: Type.Optional(
      NullableString({
        maxLength: 4000,
        description: "Shown to engineers when this rule fails; falls back to the policy's message.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TagRuleInputT = Static<typeof TagRuleInput>;

const Patterns = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200, description });

export const ScopeInput = Type.Object(
  {
    providers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 50,
        description:
          `Any of ${SCOPE_PROVIDERS.map((p) => `\`${p}\``).join(', ')} (any case): the clouds whose resource ` +
          'types Infracast knows; another name is a 400 (it would match nothing). Empty: every provider.',
      }),
    ),
    resource_types: Type.Optional(
      Type.Object(
        {
          include: Type.Optional(
            Patterns('Terraform (`aws_instance`) or Infracast (`aws.ec2.instance`) types; `*` and `?` globs.'),
          ),
          exclude: Type.Optional(Patterns('Types left out even when included.')),
        },
        { additionalProperties: false },
      ),
    ),
    tag_filter: Type.Optional(
      Type.Record(TagKey, TagValue, {
        description: 'Only resources carrying every one of these tags with exactly this value.',
        examples: [{ Environment: 'prod' }],
      }),
    ),
  },
  { additionalProperties: false, description: 'Which resources the policy applies to. Empty: all of them.' },
);

export const ExemptionInput = Type.Object(
  {
    resource: Type.String({
      minLength: 1,
      maxLength: 1000,
      description:
        'Resource address or glob (`module.legacy.*`); inventory resources match on node id, native id or name too.',
    }),
    keys: Type.Optional(
      Type.Array(TagKey, {
        maxItems: MAX_RULES,
        description: "Keys exempted, each one of the policy's rules (else a 400); all of the policy's keys when empty.",
      }),
    ),
    reason: Type.Optional(NullableString({ maxLength: 2000 })),
    expires_at: Type.Optional(
      NullableString({
        maxLength: 40,
        ...DATE_OR_DATE_TIME,
        description:
          'ISO date (`2027-03-31`, midnight UTC) or date-time with its zone; the exemption stops applying then. ' +
          'null: never expires.',
        examples: ['2027-03-31'],
      }),
    ),
  },
  { additionalProperties: false },
);

/** Every writable field, each optional: POST/PUT check what they require, PATCH changes what it names. */
const policyFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK, examples: ['FinOps showback'] })),
  description: Type.Optional(NullableString({ maxLength: 4000 })),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  enforcement: Type.Optional(
    StringEnum(ENFORCEMENTS, {
      description: '`block` fails the pull request (CLI exit 1); `warn` only reports. Default `warn`.',
    }),
  ),
  message: Type.Optional(
    NullableString({
      maxLength: 4000,
      description: 'Default message for the rules, shown in pull requests.',
      examples: [
        "The application ID isn't valid, please ensure your application is registered at https://services.acme-inc.com/list",
      ],
    }),
  ),
  scope: Type.Optional(ScopeInput),
  exemptions: Type.Optional(
    Type.Array(ExemptionInput, {
      maxItems: MAX_EXEMPTIONS,
      description: 'Resources exempted from some or all keys, optionally until a date.',
    }),
  ),
  trim_values: Type.Optional(
    Type.Boolean({ description: "Trim whitespace from allowed values and from resources' tag values. Default false." }),
  ),
  tags: Type.Optional(
    Type.Array(TagRuleInput, {
      maxItems: MAX_RULES,
      description:
        'The tag rules; an enabled policy needs at least one. A PATCH that names `tags` replaces the whole list.',
    }),
  ),
};

export const PolicyAttributesInput = Type.Object(policyFields, { additionalProperties: false });
export type PolicyAttributesInputT = Static<typeof PolicyAttributesInput>;

/**
 * One object schema for both body forms, not an `anyOf` of two: with an
 * anyOf, Ajv reports every branch's errors and a misspelt field drowns in
 * "must match a schema in anyOf". Here an unknown field is always one
 * `additionalProperties` error naming it, at the top level or under
 * `data.attributes`. Sending both forms at once is refused by the service.
 */
export const PolicyBody = Type.Object(
  {
    ...policyFields,
    data: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.Literal('tagging-policies')),
          id: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: 'When given, must be the id in the path.' }),
          ),
          attributes: PolicyAttributesInput,
        },
        {
          additionalProperties: false,
          description: 'The JSON:API form used by the seed\'s example: `{"data":{"attributes":{"tags":[…]}}}`.',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'The policy fields, either at the top level or as `data.attributes` (not both). ' +
      'POST and PUT need `name` and `tags`; PATCH changes only the fields it names.',
    examples: [
      {
        data: {
          attributes: {
            tags: [
              {
                key: 'app_id',
                mandatory: true,
                valueType: 'LIST',
                allowedValues: ['app1', 'app2', 'app3', 'app4', 'app5'],
              },
            ],
          },
        },
      },
    ],
  },
);
export type PolicyBodyT = Static<typeof PolicyBody>;

/** A merge patch of a policy's fields (the merged policy is validated against PolicyAttributesInput). */
export type PolicyAttributesPatchT = MergePatch<PolicyAttributesInputT>;
export type PolicyMergePatchT = PolicyAttributesPatchT & {
  data?: { type?: 'tagging-policies'; id?: string; attributes: PolicyAttributesPatchT };
};

const attributesPatch = mergePatchSchema(PolicyAttributesInput);
const dataForm = PolicyBody.properties.data;

/**
 * A PATCH body sent as `application/merge-patch+json` (RFC 7396), in either form: a patch of the
 * policy rather than fields that replace their current value. Objects merge member by member, null
 * removes a member (it takes its default), lists are replaced whole; the merged policy is then
 * checked as a PUT body is, so an error names the field as the patch wrote it.
 */
export const PolicyMergePatch = Type.Unsafe<PolicyMergePatchT>({
  ...attributesPatch,
  properties: {
    ...(attributesPatch.properties as Record<string, TSchema>),
    data: {
      ...dataForm,
      properties: { ...dataForm.properties, attributes: attributesPatch },
      description: 'The JSON:API form: `{"data":{"attributes":{…patch…}}}`.',
    },
  },
  description:
    'RFC 7396 JSON merge patch of the policy, at the top level or as `data.attributes` (not both). Objects ' +
    '(`scope`, `scope.resource_types`, `scope.tag_filter`) merge member by member: what the patch leaves out ' +
    'stays. null removes a member, which then takes its default (`"scope": {"tag_filter": {"env": null}}` drops ' +
    'one filter, `"scope": null` the whole scope; `name` and `tags` have none, so null is a 400). Lists (`tags`, ' +
    '`exemptions`, `providers`, `include`, …) are replaced whole. The merged policy is checked as a PUT body is.',
  examples: [{ scope: { providers: ['aws'], tag_filter: { env: null } }, enforcement: 'block' }],
});

const PolicyId = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Policy id (a UUID).',
  examples: ['e17b9d51-151d-4855-a17e-6349e485584c'],
});

export const PolicyParams = Type.Object(
  { t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }), id: PolicyId },
  { additionalProperties: false },
);

export const CompatPolicyParams = Type.Object(
  { org: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant slug (the "org").' }), id: PolicyId },
  { additionalProperties: false },
);

export const POLICY_SORT_FIELDS = ['created_at', 'updated_at', 'name'] as const;
export const ListPoliciesQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(POLICY_SORT_FIELDS, 'created_at'),
    enabled: Type.Optional(
      Type.Boolean({ description: '`true`: enabled policies only; `false`: disabled ones only.' }),
    ),
    enforcement: EnumListQuery(ENFORCEMENTS, 'enforcements', { examples: ['warn,block'] }),
  },
  { additionalProperties: false },
);
export type ListPoliciesQueryT = Static<typeof ListPoliciesQuery>;

// ---------------------------------------------------------------------------
// The policy as the API returns it

export const TagRule = Type.Object(
  {
    key: Type.String(),
    mandatory: Type.Boolean(),
    valueType: StringEnum(VALUE_TYPES),
    allowedValues: Type.Optional(Type.Array(Type.String(), { description: 'LIST rules.' })),
    allowedRegex: Type.Optional(Type.String({ description: 'REGEX rules.' })),
    caseSensitive: Type.Boolean(),
    message: NullableString(),
  },
  { additionalProperties: false },
);

export const Scope = Type.Object(
  {
    providers: Type.Array(Type.String()),
    resource_types: Type.Object(
      { include: Type.Array(Type.String()), exclude: Type.Array(Type.String()) },
      { additionalProperties: false },
    ),
    tag_filter: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);

export const Exemption = Type.Object(
  {
    resource: Type.String(),
    keys: Type.Array(Type.String()),
    reason: NullableString(),
    expires_at: NullableString({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const policyProperties = {
  name: Type.String(),
  description: NullableString(),
  enabled: Type.Boolean(),
  enforcement: StringEnum(ENFORCEMENTS),
  message: NullableString(),
  scope: Scope,
  exemptions: Type.Array(Exemption),
  trim_values: Type.Boolean(),
  tags: Type.Array(TagRule),
  version: Type.Integer({ minimum: 1, description: 'Goes up by one on every change.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const TaggingPolicy = Type.Object(
  { id: Type.String({ examples: ['e17b9d51-151d-4855-a17e-6349e485584c'] }), ...policyProperties },
  { additionalProperties: false, $id: 'TaggingPolicy', title: 'TaggingPolicy' },
);
export type TaggingPolicyT = Static<typeof TaggingPolicy>;

/** The seed's JSON:API shape, answered by the compatibility route. */
export const CompatPolicy = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('tagging-policies'),
    attributes: Type.Object(policyProperties, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------
// Validation of a plan

/**
 * The body is a `terraform show -json` document, whose top level Terraform
 * extends from version to version, so this one schema stays open
 * (`additionalProperties: true`): the engine's plan reader decides what is
 * readable and a 400 says what is wrong. The `{plan, policy_ids}` form is
 * recognised by its `plan` field (never a top-level key of a Terraform
 * plan), and there the service refuses unknown fields by name.
 */
export const ValidateBody = Type.Object(
  {
    plan: Type.Optional(
      Type.Unknown({ description: 'The plan (`terraform show -json plan.out`), as JSON or as its text.' }),
    ),
    policy_ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        minItems: 1,
        maxItems: 500,
        description:
          'Check only these policies. A disabled one named here is checked as if enabled (its violations and ' +
          'enforcement count) and listed in `policies` with `enabled: false`. Default: every enabled policy.',
      }),
    ),
  },
  {
    additionalProperties: true,
    description: 'The Terraform plan JSON itself, or `{"plan": …, "policy_ids": […]}`.',
  },
);
export type ValidateBodyT = Static<typeof ValidateBody>;

export const ValidateQuery = Type.Object(
  {
    include: Type.Optional(
      StringEnum(['resources'] as const, {
        description: '`resources`: also list every checked resource with its tags and checks (what the CLI formats).',
      }),
    ),
  },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

export const RuleSummary = Type.Object(
  {
    valueType: StringEnum(VALUE_TYPES),
    mandatory: Type.Boolean(),
    caseSensitive: Type.Boolean(),
    allowed_count: Type.Optional(Count),
    allowed_sample: Type.Optional(Type.Array(Type.String())),
    pattern: Type.Optional(Type.String()),
    text: Type.String({ examples: ['one of 10,000 allowed values (e.g. `app-1`, `app-2`, `app-3`)'] }),
  },
  { additionalProperties: false },
);

const ViolationPolicy = Type.Object(
  {
    policy_id: Type.String(),
    policy_name: Type.String(),
    enforcement: StringEnum(ENFORCEMENTS),
    message: Type.String(),
  },
  { additionalProperties: false },
);

export const TagViolation = Type.Object(
  {
    address: Type.String({ examples: ['module.app.aws_instance.web["a"]'] }),
    sub_path: NullableString({ description: '`volume_tags`, `tag_specifications[0]`… when not the resource itself.' }),
    tagged_kind: NullableString(),
    module_path: NullableString(),
    resource_type: Type.String(),
    provider: Type.String(),
    file: NullableString(),
    line: nullable<number>('integer'),
    key: Type.String(),
    kind: StringEnum(['missing', 'invalid'] as const),
    actual: NullableString({ description: 'The value found; null when the key is missing.' }),
    rule: RuleSummary,
    message: Type.String(),
    policy_id: Type.String(),
    policy_name: Type.String(),
    enforcement: StringEnum(ENFORCEMENTS),
    policies: Type.Array(ViolationPolicy, { description: 'Every policy that raised it.' }),
    suggestions: Type.Array(Type.String(), { description: 'Closest allowed values, best first (at most 3).' }),
    similar_key: NullableString({ description: 'A key on the resource that looks like the missing one.' }),
    rule_id: Type.String(),
  },
  { additionalProperties: false },
);

const CheckResult = Type.Object(
  {
    policy_id: Type.String(),
    key: Type.String(),
    sub_path: NullableString(),
    status: StringEnum(['pass', 'fail', 'unknown', 'exempted'] as const),
    actual: NullableString(),
    reason: NullableString(),
  },
  { additionalProperties: false },
);

const CheckCounts = Type.Object(
  { pass: Count, fail: Count, unknown: Count, exempted: Count },
  { additionalProperties: false },
);

const ResourceResult = Type.Object(
  {
    address: Type.String(),
    module_path: NullableString(),
    resource_type: Type.String(),
    provider: Type.String(),
    actions: Type.Array(Type.String()),
    taggable: Type.Boolean(),
    taggable_source: Type.Unsafe<'plan' | 'list' | null>({ type: ['string', 'null'], enum: ['plan', 'list', null] }),
    status: StringEnum(['pass', 'fail', 'unknown', 'exempted', 'not_taggable'] as const),
    tags: Type.Record(Type.String(), Type.String()),
    unknown_tag_keys: Type.Array(Type.String()),
    policy_ids: Type.Array(Type.String()),
    counts: CheckCounts,
    checks: Type.Array(CheckResult),
  },
  { additionalProperties: false },
);

const PolicyInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: NullableString(),
    enforcement: StringEnum(ENFORCEMENTS),
    enabled: Type.Boolean(),
    rules: Type.Array(
      Type.Object(
        { rule_id: Type.String(), key: Type.String(), message: Type.String(), summary: RuleSummary },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ValidationSummary = Type.Object(
  {
    resources: Type.Integer({ minimum: 0, description: 'Managed resources being created, updated or replaced.' }),
    taggable: Count,
    covered: Type.Integer({
      minimum: 0,
      description: 'Taggable resources at least one checked policy applies to: what `percent` is a share of.',
    }),
    passed: Type.Integer({
      minimum: 0,
      description: 'Taggable resources no check failed (a resource no policy covers among them).',
    }),
    failed: Count,
    unknown: Type.Integer({ minimum: 0, description: 'Tags known only after apply: never a failure.' }),
    exempted: Count,
    blocking: Type.Integer({ minimum: 0, description: 'Violations raised by `block` policies.' }),
    warnings: Type.Integer({ minimum: 0, description: 'Violations raised only by `warn` policies.' }),
    percent: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()], {
      description:
        'Share of covered resources tagged correctly, in percent: those no policy fails (passed, exempted, or known only after apply) out of `covered`, as /compliance counts the inventory. Null when no resource is covered (nothing taggable, or no policy applies).',
    }),
  },
  { additionalProperties: false },
);

export const ValidationResult = Type.Object(
  {
    summary: ValidationSummary,
    violations: Type.Array(TagViolation),
    policies: Type.Array(PolicyInfo, {
      description: 'The policies checked; a disabled one (checked because `policy_ids` named it) has `enabled: false`.',
    }),
    warnings: Type.Array(Type.String(), { description: 'Non-fatal observations about the plan or the policies.' }),
    resources: Type.Optional(Type.Array(ResourceResult, { description: 'With `?include=resources` only.' })),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------
// Compliance over the inventory

/** By policy and by key: `taggable` counts the resources the policy (a rule for the key) applies to. */
const figureProperties = {
  taggable: Type.Integer({ minimum: 0, description: 'Taggable resources the policy (a rule for the key) applies to.' }),
  compliant: Count,
  percent: nullable<number>('number', { description: 'compliant / taggable × 100; null when nothing is taggable.' }),
};

/** Overall, by resource type and by account: the share is over the resources an enabled policy covers. */
const coverageProperties = {
  taggable: Count,
  covered: Type.Integer({
    minimum: 0,
    description:
      'Taggable resources at least one enabled policy applies to; `taggable − covered` are covered by none and ' +
      'counted neither compliant nor not.',
  }),
  compliant: Type.Integer({
    minimum: 0,
    description: 'Covered resources whose tags satisfy every enabled policy in scope.',
  }),
  percent: nullable<number>('number', {
    description: 'compliant / covered × 100; null when no resource is covered (no share to give, not 100).',
  }),
};

const PolicyFigure = Type.Object(
  { policy_id: Type.String(), policy_name: Type.String(), enforcement: StringEnum(ENFORCEMENTS), ...figureProperties },
  { additionalProperties: false },
);
const KeyFigure = Type.Object(
  { key: Type.String(), ...figureProperties, missing: Count, invalid: Count },
  { additionalProperties: false },
);

export const TaggingCompliance = Type.Object(
  {
    overall: Type.Object({ resources: Count, ...coverageProperties }, { additionalProperties: false }),
    by_policy: Type.Array(PolicyFigure),
    by_key: Type.Array(KeyFigure),
    by_resource_type: Type.Array(
      Type.Object(
        { resource_type: Type.String(), terraform_type: Type.String(), ...coverageProperties },
        { additionalProperties: false },
      ),
    ),
    by_account: Type.Array(
      Type.Object({ account: NullableString(), ...coverageProperties }, { additionalProperties: false }),
    ),
    top_invalid_values: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          value: Type.String(),
          count: Count,
          suggestions: Type.Array(Type.String()),
          policy_ids: Type.Array(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    inventory_version: Type.Integer({ description: 'The inventory version the figures were computed from.' }),
    computed_at: Timestamp,
  },
  { additionalProperties: false },
);

export const ComplianceQuery = Type.Object(
  {
    top: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 50, default: 10, description: 'How many invalid values to list.' }),
    ),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object(
  {
    ...PaginationQuery,
    from: Type.Optional(
      Type.String({
        maxLength: 40,
        ...DATE_OR_DATE_TIME,
        description: 'ISO date (from its first instant, UTC) or date-time with its zone; inclusive.',
        examples: ['2026-11-01'],
      }),
    ),
    to: Type.Optional(
      Type.String({
        maxLength: 40,
        ...DATE_OR_DATE_TIME,
        description: 'ISO date (to its last instant, UTC) or date-time with its zone; inclusive.',
        examples: ['2026-11-30'],
      }),
    ),
    trigger: EnumListQuery(SNAPSHOT_TRIGGERS, 'triggers', {
      examples: ['job,daily'],
      extra: '`job`: after a discovery job; `daily`: the daily snapshot.',
    }),
  },
  { additionalProperties: false },
);
export type HistoryQueryT = Static<typeof HistoryQuery>;

export const CompliancePoint = Type.Object(
  {
    id: Type.String(),
    taken_at: Timestamp,
    trigger: StringEnum(SNAPSHOT_TRIGGERS, {
      description: '`job`: after a discovery job; `daily`: the daily snapshot.',
    }),
    job_id: NullableString(),
    inventory_version: Type.Integer(),
    resources: Count,
    ...coverageProperties,
    covered: nullable<number>('integer', {
      description:
        'Taggable resources at least one enabled policy applied to; null in snapshots recorded before it was kept ' +
        '(their `percent` is over every taggable resource).',
    }),
    by_policy: Type.Array(PolicyFigure),
    by_key: Type.Array(KeyFigure),
  },
  { additionalProperties: false },
);
export type CompliancePointT = Static<typeof CompliancePoint>;

export const VIOLATION_SORT_FIELDS = ['node_id', 'resource_type', 'account'] as const;
export const ViolationsQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(VIOLATION_SORT_FIELDS, 'node_id'),
    types: CsvQuery('Comma-separated Infracast types (any of).'),
    accounts: CsvQuery('Comma-separated accounts (any of).'),
    key: CsvQuery('Comma-separated tag keys (any of): only violations of these keys.', {
      examples: ['app_id,CostCenter'],
    }),
    kind: EnumListQuery(VIOLATION_KINDS, 'violation kinds', {
      examples: ['missing,invalid'],
      extra: '`missing`: the tag is absent; `invalid`: its value is not allowed.',
    }),
  },
  { additionalProperties: false },
);
export type ViolationsQueryT = Static<typeof ViolationsQuery>;

export const NonCompliantResource = Type.Object(
  {
    node_id: Type.String(),
    name: NullableString(),
    resource_type: Type.String(),
    terraform_type: Type.String(),
    provider: Type.String(),
    account: NullableString(),
    region: NullableString(),
    violations: Type.Array(
      Type.Object(
        {
          key: Type.String(),
          kind: StringEnum(VIOLATION_KINDS),
          actual: NullableString(),
          message: Type.String(),
          suggestions: Type.Array(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
