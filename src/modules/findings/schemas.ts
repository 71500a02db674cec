import { type Static, Type } from 'typebox';
import { CONTROL_STATUSES, FRAMEWORK_IDS, RULES, SEVERITIES } from '../../core/rules/index.ts';
import { CsvQuery, EnumListQuery } from '../../platform/http/list-filters.ts';
import {
  NOT_BLANK,
  NullableTimestamp,
  OPTIONAL_BODY,
  PaginationQuery,
  SortQuery,
  StringEnum,
  Timestamp,
} from '../../platform/http/schemas.ts';

export const FINDING_STATUSES = ['OPEN', 'ACCEPTED', 'RESOLVED'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
export const RESOLUTIONS = ['fixed', 'manual', 'node_removed'] as const;

const Severity = StringEnum(SEVERITIES, { description: 'LOW, MEDIUM, HIGH or CRITICAL.' });
const FrameworkId = StringEnum(FRAMEWORK_IDS, {
  description:
    '`cis-aws-foundations` (CIS AWS Foundations Benchmark) or `aws-fsbp` (AWS Foundational Security Best Practices).',
});
const ControlRef = Type.Object(
  { framework: FrameworkId, control: Type.String({ examples: ['5.2'] }) },
  { additionalProperties: false },
);
const Score = Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()], {
  description:
    'passed / (passed + failed) controls × 100, one decimal; null when every control is NOT_APPLICABLE. ' +
    'A control fails when one of its rules has an OPEN finding (ACCEPTED ones do not fail it), and is ' +
    'NOT_APPLICABLE when its rules judged no resource.',
  examples: [87.5],
});

export const Finding = Type.Object(
  {
    id: Type.String({ examples: ['fnd_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    rule_id: Type.String({ examples: ['aws.sg.ssh_open_to_internet'], description: 'See GET /tenants/{t}/rules.' }),
    rule_title: Type.String(),
    severity: Severity,
    status: StringEnum(FINDING_STATUSES, {
      description: 'OPEN; ACCEPTED (risk accepted, with a reason and maybe an expiry); RESOLVED.',
    }),
    node_id: Type.String({ description: 'The failing node (it may since have been removed: `resolution` says so).' }),
    node_type: Type.String(),
    node_name: Type.String(),
    message: Type.String({
      description: 'Exactly why the node fails the rule.',
      examples: ['security group sg-0a1b (web) allows tcp port 22 from 0.0.0.0/0 (ingress rule index 2: tcp port 22)'],
    }),
    evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'The offending values, per rule.' }),
    controls: Type.Array(ControlRef, { description: 'The framework controls the rule backs.' }),
    resolution: Type.Union([StringEnum(RESOLUTIONS), Type.Null()], {
      description:
        'For RESOLVED findings: `fixed` (the rule passes now), `node_removed` (the node left the inventory) or ' +
        '`manual` (resolved by hand; it reopens when a newer inventory still fails the rule).',
    }),
    status_reason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it was accepted or resolved by hand, or why it reopened.',
    }),
    accepted_by: Type.Union([Type.String(), Type.Null()], { description: 'User or key id that accepted the risk.' }),
    accepted_until: Type.Union([Timestamp, Type.Null()], {
      description: 'When the risk acceptance expires and the finding is OPEN again (null: no expiry).',
    }),
    resolved_by: Type.Union([Type.String(), Type.Null()], { description: 'User or key id (manual resolutions).' }),
    first_seen_at: Timestamp,
    last_seen_at: Type.String({
      format: 'date-time',
      description:
        'When an evaluation last saw the rule fail on the node (for OPEN and ACCEPTED findings: the last evaluation).',
    }),
    resolved_at: NullableTimestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Finding', title: 'Finding' },
);
export type FindingT = Static<typeof Finding>;

export const FINDING_SORT_FIELDS = [
  'severity',
  'status',
  'rule_id',
  'node_id',
  'node_type',
  'first_seen_at',
  'resolved_at',
  'created_at',
  'updated_at',
] as const;
export type FindingSortField = (typeof FINDING_SORT_FIELDS)[number];
export const FINDING_DEFAULT_SORT = '-severity,created_at';

export const ListFindingsQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(FINDING_SORT_FIELDS, FINDING_DEFAULT_SORT),
    severity: EnumListQuery(SEVERITIES, 'severities', { examples: ['HIGH,CRITICAL'] }),
    status: EnumListQuery(FINDING_STATUSES, 'statuses', {
      examples: ['OPEN,ACCEPTED'],
      extra: 'Default: every status.',
    }),
    rule_id: EnumListQuery(
      RULES.map((r) => r.id),
      'rule ids',
      { examples: ['aws.sg.ssh_open_to_internet'] },
    ),
    node_id: CsvQuery('Comma-separated node ids (any of); a comma inside double quotes belongs to the id.', {
      maxLength: 20000,
    }),
    types: CsvQuery('Comma-separated node types (any of).', { examples: ['aws.ec2.security_group'] }),
    framework: EnumListQuery(FRAMEWORK_IDS, 'framework ids', {
      examples: ['cis-aws-foundations'],
      extra: 'Findings of rules that back a control of one of them.',
    }),
    control: CsvQuery(
      'Comma-separated control ids (any of), e.g. `5.2,EC2.19`: findings of the rules behind them (within ' +
        '`framework` when given). An unknown control is a 400.',
      { examples: ['5.2'] },
    ),
  },
  { additionalProperties: false },
);
export type ListFindingsQueryT = Static<typeof ListFindingsQuery>;

export const FindingParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Finding id (`fnd_…`).' }),
  },
  { additionalProperties: false },
);

const Reason = Type.String({ minLength: 1, maxLength: 2000, pattern: NOT_BLANK });

export const AcceptFindingBody = Type.Object(
  {
    reason: { ...Reason, description: 'Why the risk is accepted (required, not blank).' },
    expires_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the acceptance ends and the finding is OPEN again; must be in the future. Default: never.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AcceptFindingBodyT = Static<typeof AcceptFindingBody>;

export const ResolveFindingBody = Type.Object(
  { reason: Type.Optional({ ...Reason, description: 'Why it is resolved (e.g. "fixed outside Terraform").' }) },
  { additionalProperties: false, [OPTIONAL_BODY]: true, description: 'Optional: no body, `{}` or `{"reason": …}`.' },
);
export type ResolveFindingBodyT = Static<typeof ResolveFindingBody>;

export const RuleSchema = Type.Object(
  {
    id: Type.String({ examples: ['aws.sg.ssh_open_to_internet'] }),
    title: Type.String(),
    severity: Severity,
    description: Type.String(),
    remediation: Type.String(),
    resource_types: Type.Array(Type.String(), { description: 'Node types the rule evaluates.' }),
    controls: Type.Array(ControlRef),
  },
  { additionalProperties: false, $id: 'Rule', title: 'Rule' },
);
export type RuleT = Static<typeof RuleSchema>;

export const ListRulesQuery = Type.Object(
  {
    ...PaginationQuery,
    severity: EnumListQuery(SEVERITIES, 'severities', { examples: ['HIGH,CRITICAL'] }),
    framework: EnumListQuery(FRAMEWORK_IDS, 'framework ids', { examples: ['aws-fsbp'] }),
    types: CsvQuery('Comma-separated node types (any of): rules evaluating one of them.'),
  },
  { additionalProperties: false },
);
export type ListRulesQueryT = Static<typeof ListRulesQuery>;

const Evaluation = {
  inventory_version: Type.Integer({ minimum: 0, description: 'The inventory version the findings were evaluated at.' }),
  evaluated_at: Type.Union([Timestamp, Type.Null()], { description: 'When (null: never evaluated).' }),
};

const Counts = {
  total: Type.Integer({ minimum: 0 }),
  passed: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  not_applicable: Type.Integer({ minimum: 0 }),
};

export const FrameworkScoreSchema = Type.Object(
  {
    id: FrameworkId,
    name: Type.String({ examples: ['CIS Amazon Web Services Foundations Benchmark'] }),
    version: Type.String({ examples: ['3.0.0'] }),
    controls: Type.Object(Counts, {
      additionalProperties: false,
      description: 'The framework’s controls Infracast checks, by status.',
    }),
    score: Score,
  },
  { additionalProperties: false, $id: 'FrameworkScore', title: 'FrameworkScore' },
);

const BySeverity = Type.Object(
  Object.fromEntries(SEVERITIES.map((s) => [s, Type.Integer({ minimum: 0 })])) as Record<
    (typeof SEVERITIES)[number],
    ReturnType<typeof Type.Integer>
  >,
  { additionalProperties: false },
);

export const ComplianceSummary = Type.Object(
  {
    score: {
      ...Score,
      description:
        'Over the controls of every framework together: passed / (passed + failed) × 100, one decimal ' +
        '(a control counts once per framework it belongs to); null when nothing is applicable.',
    },
    controls: Type.Object(Counts, { additionalProperties: false }),
    frameworks: Type.Array(Type.Ref('FrameworkScore')),
    open_findings: Type.Object(
      { total: Type.Integer({ minimum: 0 }), by_severity: BySeverity },
      { additionalProperties: false, description: 'OPEN findings.' },
    ),
    accepted_findings: Type.Integer({ minimum: 0, description: 'ACCEPTED findings (risk accepted, not expired).' }),
    resources_evaluated: Type.Integer({ minimum: 0, description: 'Distinct nodes at least one rule judged.' }),
    ...Evaluation,
  },
  { additionalProperties: false, title: 'ComplianceSummary' },
);
export type ComplianceSummaryT = Static<typeof ComplianceSummary>;

export const ControlStatusSchema = Type.Object(
  {
    framework: FrameworkId,
    control: Type.String({ examples: ['5.2'] }),
    title: Type.String(),
    status: StringEnum(CONTROL_STATUSES, {
      description:
        'FAIL: a rule of the control has an OPEN finding; NOT_APPLICABLE: its rules judged no resource; else PASS.',
    }),
    rule_ids: Type.Array(Type.String()),
    open_findings: Type.Integer({ minimum: 0 }),
    accepted_findings: Type.Integer({ minimum: 0 }),
    resources_evaluated: Type.Integer({
      minimum: 0,
      description: 'Resources the control’s rules judged (per node type, the most any of its rules judged).',
    }),
  },
  { additionalProperties: false, $id: 'ControlStatus', title: 'ControlStatus' },
);
export type ControlStatusT = Static<typeof ControlStatusSchema>;

export const ListControlsQuery = Type.Object(
  {
    ...PaginationQuery,
    framework: EnumListQuery(FRAMEWORK_IDS, 'framework ids', { examples: ['cis-aws-foundations'] }),
    status: EnumListQuery(CONTROL_STATUSES, 'statuses', { examples: ['FAIL'] }),
  },
  { additionalProperties: false },
);
export type ListControlsQueryT = Static<typeof ListControlsQuery>;
