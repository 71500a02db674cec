import { describe, expect, it } from 'vitest';
import {
  exitCodeFor,
  InvalidPlanError,
  type TaggingPolicy,
  type TagViolation,
  type ValidationResult,
  validatePlan,
} from '../../../src/core/tagging/index.ts';
import { FINOPS_MESSAGE, finopsPolicy, loadPlan, NOW, ownerPolicy } from './helpers.ts';

const find = (r: ValidationResult, address: string, key: string, subPath: string | null = null) =>
  r.violations.filter((v) => v.address === address && v.key === key && v.sub_path === subPath);
const resource = (r: ValidationResult, address: string) => r.resources.find((x) => x.address === address)!;
const one = (list: TagViolation[]) => {
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe('validatePlan over a realistic AWS plan', () => {
  const result = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy(), ownerPolicy()], { now: NOW });

  it('summarises resources being created or updated', () => {
    expect(result.summary).toEqual({
      resources: 12,
      taggable: 9,
      covered: 9,
      passed: 3,
      failed: 4,
      unknown: 2,
      exempted: 0,
      blocking: 6,
      warnings: 2,
      // 9 taggable, 4 failed: 5 tagged correctly (3 passed, 2 known only after apply).
      percent: 55.56,
    });
    expect(result.violations).toHaveLength(8);
  });

  it('skips data sources, deletes and no-ops', () => {
    const addresses = result.resources.map((r) => r.address);
    expect(addresses).not.toContain('data.aws_ami.ubuntu');
    expect(addresses).not.toContain('aws_instance.old');
    expect(addresses).not.toContain('aws_db_instance.main');
    expect(addresses).toContain('aws_sqs_queue.jobs'); // replace = delete + create
  });

  it('reports a LIST violation with the custom message and a case/separator suggestion', () => {
    const v = one(find(result, 'aws_instance.web[0]', 'app_id'));
    expect(v).toMatchObject({
      kind: 'invalid',
      actual: 'App_1',
      message: FINOPS_MESSAGE,
      policy_id: 'pol_finops',
      policy_name: 'FinOps showback',
      enforcement: 'block',
      suggestions: ['app-1'],
      resource_type: 'aws_instance',
      module_path: null,
      file: null,
      line: null,
      rule_id: 'pol_finops/app_id',
    });
    expect(v.rule.valueType).toBe('LIST');
    expect(v.rule.allowed_count).toBe(6);
    expect(v.rule.text).toContain('6 allowed values');
  });

  it('uses the rule message over the policy message, and REGEX is case-sensitive by default', () => {
    const v = one(find(result, 'module.network.aws_vpc.main', 'CostCenter'));
    expect(v).toMatchObject({ kind: 'invalid', actual: 'CC-100', message: 'CostCenter must look like cc-123' });
    expect(v.module_path).toBe('module.network');
    expect(v.rule).toMatchObject({ valueType: 'REGEX', pattern: '^cc-[0-9]{3}$' });
  });

  it('reads tags_all, so provider default_tags count', () => {
    const web1 = resource(result, 'aws_instance.web[1]');
    expect(web1.status).toBe('pass');
    expect(web1.tags).toMatchObject({ CostCenter: 'cc-100', Environment: 'prod', app_id: 'app-2' });
    expect(web1.taggable_source).toBe('plan');
  });

  it('merges default_tags under resource tags when the plan has no tags_all (resource wins), walking up from a module key', () => {
    const sg = resource(result, 'module.legacy["eu"].aws_security_group.sg');
    expect(sg.tags).toEqual({ CostCenter: 'cc-300', Environment: 'prod', app_id: 'app_2', owner: 'legacy' });
    expect(sg.module_path).toBe('module.legacy["eu"]');
    const v = one(find(result, 'module.legacy["eu"].aws_security_group.sg', 'app_id'));
    expect(v.suggestions[0]).toBe('app-2');
  });

  it('uses an aliased provider’s default tags', () => {
    const sqs = resource(result, 'aws_sqs_queue.jobs');
    expect(sqs.tags.CostCenter).toBe('cc-200');
    expect(sqs.status).toBe('pass');
  });

  it('treats values unknown until apply as unknown, not failures', () => {
    const logs = resource(result, 'aws_s3_bucket.logs');
    expect(logs.status).toBe('unknown');
    expect(logs.unknown_tag_keys).toEqual(['owner']);
    expect(logs.tags).toMatchObject({ CostCenter: 'cc-100', app_id: 'app-3' });
    expect(logs.checks).toEqual([
      expect.objectContaining({ key: 'owner', status: 'unknown', reason: 'known after apply' }),
    ]);
    expect(result.violations.some((v) => v.address === 'aws_s3_bucket.logs')).toBe(false);
  });

  it('decides taggability from the plan first, then from the checked-in list', () => {
    expect(resource(result, 'aws_iam_role_policy.reader')).toMatchObject({
      taggable: false,
      taggable_source: 'plan',
      status: 'not_taggable',
    });
    expect(resource(result, 'random_id.suffix')).toMatchObject({ taggable: false, taggable_source: 'plan' });
    expect(resource(result, 'aws_cloudwatch_dashboard.ops')).toMatchObject({
      taggable: false,
      taggable_source: 'list',
    });
    // After is missing, the list says taggable: every mandatory key is unknown rather than missing.
    expect(resource(result, 'aws_lambda_function.fn')).toMatchObject({
      taggable: true,
      taggable_source: 'list',
      status: 'unknown',
    });
  });

  it('reads autoscaling group tag blocks as the group’s tags', () => {
    const asg = resource(result, 'aws_autoscaling_group.workers');
    expect(asg).toMatchObject({ taggable: true, status: 'pass' });
    expect(asg.tags).toEqual({ app_id: 'app-9', CostCenter: 'cc-100', owner: 'team-b' });
  });

  it('checks volume_tags as the tags of the volumes, without default tags', () => {
    const cc = one(find(result, 'aws_instance.web[0]', 'CostCenter', 'volume_tags'));
    expect(cc).toMatchObject({ kind: 'missing', tagged_kind: 'volume', enforcement: 'block' });
    expect(find(result, 'aws_instance.web[0]', 'app_id', 'volume_tags')).toHaveLength(0);
    // The instance's own CostCenter comes from default tags and passes.
    expect(find(result, 'aws_instance.web[0]', 'CostCenter')).toHaveLength(0);
  });

  it('checks launch template tag_specifications per created resource type', () => {
    const app = one(find(result, 'aws_launch_template.lt', 'app_id', 'tag_specifications[1]'));
    expect(app).toMatchObject({ tagged_kind: 'volume', actual: 'ap-1', suggestions: ['app-1'] });
    one(find(result, 'aws_launch_template.lt', 'CostCenter', 'tag_specifications[1]'));
    expect(result.violations.filter((v) => v.sub_path === 'tag_specifications[0]')).toHaveLength(0);
    expect(resource(result, 'aws_launch_template.lt').status).toBe('fail');
  });

  it('reports a missing key once per resource even when several policies require it', () => {
    const strict: TaggingPolicy = ownerPolicy({
      id: 'pol_strict',
      name: 'Strict owner',
      enforcement: 'block',
      message: 'Owner is required.',
    });
    const r = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy(), ownerPolicy(), strict], { now: NOW });
    const v = one(find(r, 'aws_instance.web[0]', 'owner'));
    expect(v.policies.map((p) => p.policy_id)).toEqual(['pol_owner', 'pol_strict']);
    expect(v).toMatchObject({ enforcement: 'block', policy_id: 'pol_strict', message: 'Owner is required.' });
    // Checks still list each policy.
    expect(
      resource(r, 'aws_instance.web[0]').checks.filter((c) => c.key === 'owner' && c.sub_path === null),
    ).toHaveLength(2);
  });

  it('suggests a similar key when a mandatory key is missing', () => {
    const plan = loadPlan('aws.plan.json') as { resource_changes: { change: { after: Record<string, unknown> } }[] };
    plan.resource_changes[1]!.change.after.tags_all = { 'App-ID': 'app-1', CostCenter: 'cc-100', owner: 'x' };
    const r = validatePlan(plan, [finopsPolicy()], { now: NOW });
    expect(one(find(r, 'aws_instance.web[1]', 'app_id')).similar_key).toBe('App-ID');
  });

  it('accepts a plan as text (the CLI passes the file content)', () => {
    const text = JSON.stringify(loadPlan('aws.plan.json'));
    expect(validatePlan(text, [finopsPolicy(), ownerPolicy()], { now: NOW }).summary).toEqual(result.summary);
  });

  it('ignores disabled policies', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy({ enabled: false }), ownerPolicy()], { now: NOW });
    expect(r.violations.every((v) => v.policy_id === 'pol_owner')).toBe(true);
    expect(r.policies.map((p) => p.id)).toEqual(['pol_owner']);
  });

  it('checks disabled policies with includeDisabled (named ones), reporting them as disabled', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy({ enabled: false }), ownerPolicy()], {
      now: NOW,
      includeDisabled: true,
    });
    expect(r.policies.map((p) => [p.id, p.enabled])).toEqual([
      ['pol_finops', false],
      ['pol_owner', true],
    ]);
    // Checked as if enabled: the same answer as with the policy enabled, but for how it is listed.
    expect(r.summary).toEqual(result.summary);
    expect(r.violations).toEqual(result.violations);
  });

  it('summary.percent is over the resources a policy covers, not every taggable one', () => {
    const scoped = finopsPolicy({ scope: { resource_types: { include: ['aws_instance', 'aws_s3_bucket'] } } });
    const r = validatePlan(loadPlan('aws.plan.json'), [scoped], { now: NOW });
    // 9 taggable, 3 covered (two instances, the bucket), 1 of them failing: 2 of 3, not 8 of 9.
    expect(r.summary).toMatchObject({ taggable: 9, covered: 3, failed: 1, percent: 66.67 });
    expect(r.resources.filter((x) => x.taggable && x.policy_ids.length > 0)).toHaveLength(3);
    // No policy covers anything: no share to give.
    const none = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy({ scope: { providers: ['azure'] } })], {
      now: NOW,
    });
    expect(none.summary).toMatchObject({ taggable: 9, covered: 0, failed: 0, percent: null });
  });

  it('a policy without rules covers nothing: it does not pass every resource into a 100% share', () => {
    // The API refuses such a policy enabled; one stored before it did must not inflate the share.
    const empty = finopsPolicy({ id: 'pol_empty', tags: [] });
    const alone = validatePlan(loadPlan('aws.plan.json'), [empty], { now: NOW });
    expect(alone.summary).toMatchObject({ taggable: 9, covered: 0, passed: 9, failed: 0, percent: null });
    expect(alone.resources.every((x) => x.policy_ids.length === 0)).toBe(true);
    // Beside a real policy it changes nothing.
    const both = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy(), ownerPolicy(), empty], { now: NOW });
    expect(both.summary).toEqual(result.summary);
  });

  it('lists passing checks on request', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy()], { now: NOW, includePassedChecks: true });
    const web1 = resource(r, 'aws_instance.web[1]');
    expect(web1.checks.map((c) => `${c.key}:${c.status}`)).toEqual(['app_id:pass', 'CostCenter:pass']);
    expect(web1.counts).toEqual({ pass: 2, fail: 0, unknown: 0, exempted: 0 });
  });
});

describe('rule semantics', () => {
  const plan = (tags: Record<string, string> | null, unknown: Record<string, unknown> = {}) => ({
    format_version: '1.2',
    resource_changes: [
      {
        address: 'aws_s3_bucket.b',
        mode: 'managed',
        type: 'aws_s3_bucket',
        name: 'b',
        provider_name: 'registry.terraform.io/hashicorp/aws',
        change: { actions: ['create'], after: { bucket: 'b', tags: tags, tags_all: tags }, after_unknown: unknown },
      },
    ],
  });
  const policy = (rule: TaggingPolicy['tags'][number], extra: Partial<TaggingPolicy> = {}): TaggingPolicy => ({
    id: 'p',
    name: 'P',
    enabled: true,
    enforcement: 'block',
    tags: [rule],
    ...extra,
  });

  it('ANY accepts any value, fails only when a mandatory key is missing', () => {
    const rule = { key: 'team', mandatory: true, valueType: 'ANY' as const };
    expect(validatePlan(plan({ team: 'x' }), [policy(rule)]).violations).toHaveLength(0);
    expect(validatePlan(plan({}), [policy(rule)]).violations[0]).toMatchObject({ kind: 'missing', actual: null });
    expect(validatePlan(plan({}), [policy(rule)]).violations[0]!.message).toBe('Tag `team` is required.');
  });

  it('an optional key may be absent but must be valid when present', () => {
    const rule = { key: 'env', mandatory: false, valueType: 'LIST' as const, allowedValues: ['prod', 'dev'] };
    expect(validatePlan(plan({}), [policy(rule)]).violations).toHaveLength(0);
    expect(validatePlan(plan({ env: 'qa' }), [policy(rule)]).violations[0]).toMatchObject({
      kind: 'invalid',
      actual: 'qa',
    });
  });

  it('LIST is case-sensitive by default and case-insensitive on request', () => {
    const rule = { key: 'env', mandatory: true, valueType: 'LIST' as const, allowedValues: ['prod'] };
    expect(validatePlan(plan({ env: 'PROD' }), [policy(rule)]).violations[0]!.suggestions).toEqual(['prod']);
    expect(validatePlan(plan({ env: 'PROD' }), [policy({ ...rule, caseSensitive: false })]).violations).toHaveLength(0);
  });

  it('REGEX must match the whole value; caseSensitive false adds the i flag', () => {
    const rule = { key: 'app', mandatory: true, valueType: 'REGEX' as const, allowedRegex: 'app-[0-9]+' };
    expect(validatePlan(plan({ app: 'app-12' }), [policy(rule)]).violations).toHaveLength(0);
    expect(validatePlan(plan({ app: 'my-app-12' }), [policy(rule)]).violations).toHaveLength(1);
    expect(validatePlan(plan({ app: 'APP-12' }), [policy(rule)]).violations).toHaveLength(1);
    expect(validatePlan(plan({ app: 'APP-12' }), [policy({ ...rule, caseSensitive: false })]).violations).toHaveLength(
      0,
    );
  });

  it('trims values only when the policy says so', () => {
    const rule = { key: 'env', mandatory: true, valueType: 'LIST' as const, allowedValues: [' prod '] };
    expect(validatePlan(plan({ env: 'prod ' }), [policy(rule)]).violations).toHaveLength(1);
    expect(validatePlan(plan({ env: 'prod ' }), [policy(rule, { trim_values: true })]).violations).toHaveLength(0);
  });

  it('a whole tag map unknown until apply makes missing keys unknown', () => {
    const p = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_s3_bucket.b',
          mode: 'managed',
          type: 'aws_s3_bucket',
          name: 'b',
          change: { actions: ['create'], after: { bucket: 'b' }, after_unknown: { tags: true, tags_all: true } },
        },
      ],
    };
    const r = validatePlan(p, [policy({ key: 'team', mandatory: true, valueType: 'ANY' })]);
    expect(r.summary).toMatchObject({ taggable: 1, unknown: 1, failed: 0 });
  });

  describe('tags_all known only after apply (it holds the provider default tags)', () => {
    const partial = (after: Record<string, unknown>, afterUnknown: Record<string, unknown> = { tags_all: true }) => ({
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_subnet.a',
          mode: 'managed',
          type: 'aws_subnet',
          name: 'a',
          provider_name: 'registry.terraform.io/hashicorp/aws',
          change: { actions: ['create'], before: null, after, after_unknown: { id: true, ...afterUnknown } },
        },
      ],
    });
    const owner = policy({ key: 'owner', mandatory: true, valueType: 'ANY' });

    it('a required key absent from the known tags is unknown, not missing, and does not block', () => {
      const r = validatePlan(partial({ tags: { cc: 'x' } }), [owner]);
      expect(r.violations).toEqual([]);
      expect(r.summary).toMatchObject({ taggable: 1, unknown: 1, failed: 0, blocking: 0 });
      expect(exitCodeFor(r)).toBe(0);
      const res = resource(r, 'aws_subnet.a');
      expect(res).toMatchObject({ status: 'unknown', tags: { cc: 'x' }, unknown_tag_keys: [] });
      expect(res.checks).toEqual([
        expect.objectContaining({ key: 'owner', status: 'unknown', reason: 'tags known only after apply' }),
      ]);
    });

    it('gives the same outcome as when tags itself is unknown', () => {
      const whole = validatePlan(partial({}, { tags: true, tags_all: true }), [owner]);
      const partly = validatePlan(partial({ tags: { cc: 'x' } }), [owner]);
      expect(resource(partly, 'aws_subnet.a').checks).toEqual(resource(whole, 'aws_subnet.a').checks);
      expect(partly.summary).toEqual(whole.summary);
    });

    it('still checks the keys the known tags have: an invalid value is invalid, a valid one passes', () => {
      const env = policy({ key: 'env', mandatory: true, valueType: 'LIST', allowedValues: ['prod'] });
      const bad = validatePlan(partial({ tags: { env: 'qa' } }), [env, owner]);
      expect(bad.violations).toEqual([expect.objectContaining({ key: 'env', kind: 'invalid', actual: 'qa' })]);
      expect(bad.summary).toMatchObject({ failed: 1, blocking: 1 });
      const good = validatePlan(partial({ tags: { env: 'prod' } }), [env, owner], { includePassedChecks: true });
      expect(resource(good, 'aws_subnet.a').checks.map((c) => `${c.key}:${c.status}`)).toEqual([
        'env:pass',
        'owner:unknown',
      ]);
    });

    it('a value unknown inside the known tags is unknown and listed, never a string', () => {
      const r = validatePlan(partial({ tags: { cc: 'x' } }, { tags: { owner: true }, tags_all: true }), [owner]);
      const res = resource(r, 'aws_subnet.a');
      expect(res).toMatchObject({ status: 'unknown', tags: { cc: 'x' }, unknown_tag_keys: ['owner'] });
      expect(res.checks).toEqual([expect.objectContaining({ key: 'owner', status: 'unknown', actual: null })]);
      expect(JSON.stringify(r)).not.toContain('$unknown');
    });

    it('with a known tags_all, a missing key is still missing', () => {
      const r = validatePlan(partial({ tags: { cc: 'x' }, tags_all: { cc: 'x' } }, {}), [owner]);
      expect(r.violations).toEqual([expect.objectContaining({ key: 'owner', kind: 'missing' })]);
      expect(r.summary.blocking).toBe(1);
    });
  });

  it('Google: labels merged only after apply make a missing key unknown', () => {
    const p = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'google_storage_bucket.b',
          mode: 'managed',
          type: 'google_storage_bucket',
          name: 'b',
          provider_name: 'registry.terraform.io/hashicorp/google',
          change: {
            actions: ['create'],
            after: { name: 'b', labels: { cc: 'x' } },
            after_unknown: { effective_labels: true, terraform_labels: true },
          },
        },
      ],
    };
    const r = validatePlan(p, [policy({ key: 'owner', mandatory: true, valueType: 'ANY' })]);
    expect(r.violations).toEqual([]);
    expect(r.summary).toMatchObject({ unknown: 1, failed: 0, blocking: 0 });
  });

  it('an unsafe pattern is not run: checks are unknown and the result carries a warning', () => {
    const r = validatePlan(plan({ app: 'aaaa' }), [
      policy({ key: 'app', mandatory: true, valueType: 'REGEX', allowedRegex: '(a+)+$' }),
    ]);
    expect(r.summary.unknown).toBe(1);
    expect(r.warnings.join('\n')).toMatch(/pattern rejected/);
  });

  it('rejects input that is not a plan', () => {
    expect(() => validatePlan('{not json', [])).toThrow(InvalidPlanError);
    expect(() => validatePlan([], [])).toThrow(InvalidPlanError);
    expect(() => validatePlan({ format_version: '1.0', values: {} }, [])).toThrow(/state file/);
    expect(() => validatePlan({ format_version: '2.0', resource_changes: [] }, [])).toThrow(/format_version/);
  });
});

describe('modules and instance keys', () => {
  it('keeps count and for_each addresses and module paths as Terraform prints them', () => {
    const p = {
      format_version: '1.2',
      resource_changes: [
        ['module.apps["billing"].module.db[0].aws_db_instance.this["primary"]', 'module.apps["billing"].module.db[0]'],
        ['module.apps["billing"].aws_sns_topic.alerts[2]', 'module.apps["billing"]'],
      ].map(([address, module_address]) => ({
        address,
        module_address,
        mode: 'managed',
        type: address!.split('.').at(-2),
        name: address!.split('.').at(-1)!.replace(/\[.*$/, ''),
        change: { actions: ['create'], after: { tags: {}, tags_all: {} }, after_unknown: {} },
      })),
    };
    const r = validatePlan(p, [finopsPolicy()]);
    expect(r.violations.map((v) => [v.address, v.module_path])).toEqual([
      ['module.apps["billing"].module.db[0].aws_db_instance.this["primary"]', 'module.apps["billing"].module.db[0]'],
      ['module.apps["billing"].module.db[0].aws_db_instance.this["primary"]', 'module.apps["billing"].module.db[0]'],
      ['module.apps["billing"].aws_sns_topic.alerts[2]', 'module.apps["billing"]'],
      ['module.apps["billing"].aws_sns_topic.alerts[2]', 'module.apps["billing"]'],
    ]);
  });
});

describe('Azure and Google', () => {
  const policies: TaggingPolicy[] = [
    {
      id: 'pol_cloud',
      name: 'Cloud labels',
      enabled: true,
      enforcement: 'block',
      tags: [
        { key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['app-1', 'app-7'], caseSensitive: false },
        { key: 'cost_center', mandatory: true, valueType: 'REGEX', allowedRegex: '^cc-[0-9]{3}$' },
      ],
    },
  ];
  const r = validatePlan(loadPlan('azure-google.plan.json'), policies, { now: NOW });

  it('reads Azure tags; null tags means taggable with no tags', () => {
    expect(resource(r, 'azurerm_resource_group.rg')).toMatchObject({ status: 'pass', provider: 'azure' });
    expect(resource(r, 'azurerm_virtual_network.vnet')).toMatchObject({ taggable: true, status: 'fail' });
    expect(r.violations.filter((v) => v.address === 'azurerm_virtual_network.vnet').map((v) => v.kind)).toEqual([
      'missing',
      'missing',
    ]);
    expect(resource(r, 'azurerm_role_assignment.reader').taggable).toBe(false);
  });

  it('reads Google effective labels, and default_labels under labels for older plans', () => {
    expect(resource(r, 'google_storage_bucket.assets')).toMatchObject({ status: 'pass', provider: 'google' });
    expect(resource(r, 'google_storage_bucket.assets').tags.cost_center).toBe('cc-200');
    expect(resource(r, 'google_compute_instance.vm').tags).toEqual({ app_id: 'app-7', cost_center: 'cc-300' });
  });
});

describe('exemptions', () => {
  const legacy = 'module.legacy["eu"].aws_security_group.sg';

  it('a policy exemption skips the listed keys and is reported as exempted', () => {
    const policy = finopsPolicy({
      exemptions: [
        { resource: 'module.legacy.*', keys: ['app_id'], reason: 'migrating', expires_at: '2025-12-31T00:00:00Z' },
      ],
    });
    const r = validatePlan(loadPlan('aws.plan.json'), [policy], { now: NOW });
    expect(find(r, legacy, 'app_id')).toHaveLength(0);
    expect(resource(r, legacy).status).toBe('exempted');
    expect(resource(r, legacy).checks).toEqual([
      expect.objectContaining({ key: 'app_id', status: 'exempted', reason: 'migrating' }),
    ]);
    expect(r.summary.exempted).toBe(1);
  });

  it('an expired exemption no longer applies', () => {
    const policy = finopsPolicy({ exemptions: [{ resource: 'module.legacy.*', expires_at: '2025-01-01T00:00:00Z' }] });
    const r = validatePlan(loadPlan('aws.plan.json'), [policy], { now: NOW });
    expect(find(r, legacy, 'app_id')).toHaveLength(1);
  });

  it('an exemption without keys or expiry covers every key for good; exact addresses match every instance', () => {
    const policy = finopsPolicy({ exemptions: [{ resource: 'aws_instance.web' }] });
    const r = validatePlan(loadPlan('aws.plan.json'), [policy], { now: NOW });
    expect(r.violations.some((v) => v.address.startsWith('aws_instance.web'))).toBe(false);
    expect(resource(r, 'aws_instance.web[0]').status).toBe('exempted');
  });

  it('the infracast:skip tag skips the keys it lists', () => {
    const plan = loadPlan('aws.plan.json') as {
      resource_changes: { change: { after: { tags_all: Record<string, string> } } }[];
    };
    plan.resource_changes[0]!.change.after.tags_all['infracast:skip'] = 'app_id, owner';
    const r = validatePlan(plan, [finopsPolicy(), ownerPolicy()], { now: NOW });
    expect(find(r, 'aws_instance.web[0]', 'app_id')).toHaveLength(0);
    expect(find(r, 'aws_instance.web[0]', 'owner')).toHaveLength(0);
    // volume_tags are a separate target without the skip tag.
    expect(find(r, 'aws_instance.web[0]', 'owner', 'volume_tags')).toHaveLength(1);
  });
});

describe('scope', () => {
  const addresses = (r: ValidationResult) => [...new Set(r.violations.map((v) => v.address))];

  it('include and exclude Terraform type globs', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [
      finopsPolicy({ scope: { resource_types: { include: ['aws_vpc', 'aws_security_*'] } } }),
    ]);
    expect(addresses(r)).toEqual(['module.network.aws_vpc.main', 'module.legacy["eu"].aws_security_group.sg']);
    const r2 = validatePlan(loadPlan('aws.plan.json'), [
      finopsPolicy({ scope: { resource_types: { exclude: ['aws_instance', 'aws_launch_*'] } } }),
    ]);
    expect(addresses(r2)).toEqual(['module.network.aws_vpc.main', 'module.legacy["eu"].aws_security_group.sg']);
  });

  it('Infracast type globs', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [
      finopsPolicy({ scope: { resource_types: { include: ['aws.ec2.instance'] } } }),
    ]);
    expect(addresses(r)).toEqual(['aws_instance.web[0]']);
  });

  it('providers', () => {
    const r = validatePlan(loadPlan('azure-google.plan.json'), [finopsPolicy({ scope: { providers: ['azurerm'] } })]);
    expect(addresses(r)).toEqual(['azurerm_resource_group.rg', 'azurerm_virtual_network.vnet']);
    expect(resource(r, 'google_storage_bucket.assets').policy_ids).toEqual([]);
  });

  it('tag_filter', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [ownerPolicy({ scope: { tag_filter: { Name: 'web-0' } } })]);
    expect(addresses(r)).toEqual(['aws_instance.web[0]']);
    expect(resource(r, 'aws_instance.web[1]').policy_ids).toEqual([]);
  });
});

describe('exitCodeFor', () => {
  it('is 0 when clean or only warn policies fail, 1 when a block policy fails', () => {
    expect(exitCodeFor(validatePlan(loadPlan('aws.plan.json'), []))).toBe(0);
    expect(exitCodeFor(validatePlan(loadPlan('aws.plan.json'), [ownerPolicy()]))).toBe(0);
    expect(exitCodeFor(validatePlan(loadPlan('aws.plan.json'), [finopsPolicy()]))).toBe(1);
  });
});
