import { describe, expect, it } from 'vitest';
import { type TaggingPolicy, validatePlan } from '../../../src/core/tagging/index.ts';
import { createTestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { FINOPS_MESSAGE, finopsBody, ownerBody, readFixture, taggingTenant } from './helpers.ts';

const awsPlan = () => JSON.parse(readFixture('aws.plan.json')) as Record<string, unknown>;

type Violation = { address: string; key: string; [k: string]: unknown };
const find = (violations: Violation[], address: string, key: string) =>
  violations.filter((v) => v.address === address && v.key === key);

for (const dialect of testDialects()) {
  describe(`${dialect}: POST /tagging-policies/validate`, () => {
    it('validates a plan with LIST, REGEX and ANY rules: messages, suggestions and the blocking count', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      const finops = await create(finopsBody());
      const owner = await create(ownerBody());
      const res = await t.app.inject({ method: 'POST', url: `${base}/validate`, headers: viewer, payload: awsPlan() });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
      const { data } = res.json();
      expect(data.summary).toEqual({
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
      expect(data.violations).toHaveLength(8);
      expect(data).not.toHaveProperty('resources');
      expect(data.policies.map((p: { id: string }) => p.id).sort()).toEqual([finops.id, owner.id].sort());

      const list = find(data.violations, 'aws_instance.web[0]', 'app_id');
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        kind: 'invalid',
        actual: 'App_1',
        message: FINOPS_MESSAGE,
        policy_id: finops.id,
        enforcement: 'block',
        suggestions: ['app-1'],
        rule: { valueType: 'LIST', allowed_count: 6 },
        rule_id: `${finops.id}/app_id`,
      });
      const regex = find(data.violations, 'module.network.aws_vpc.main', 'CostCenter');
      expect(regex[0]).toMatchObject({
        kind: 'invalid',
        actual: 'CC-100',
        message: 'CostCenter must look like cc-123',
        rule: { valueType: 'REGEX', pattern: '^cc-[0-9]{3}$' },
      });
      const any = data.violations.filter((v: Violation) => v.key === 'owner');
      expect(any.length).toBeGreaterThan(0);
      expect(any[0]).toMatchObject({ kind: 'missing', actual: null, enforcement: 'warn', rule: { valueType: 'ANY' } });

      // Exactly what the engine says for the same policies.
      const policies = (await t.app.inject({ url: base, headers: viewer })).json().data as TaggingPolicy[];
      const direct = validatePlan(awsPlan(), policies);
      expect(data.summary).toEqual(direct.summary);
      expect(data.violations).toEqual(JSON.parse(JSON.stringify(direct.violations)));
    });

    it('includes every resource on request, and takes {plan, policy_ids} (disabled policies included)', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      await create(finopsBody());
      const owner = await create(ownerBody({ enabled: false }));
      const withResources = await t.app.inject({
        method: 'POST',
        url: `${base}/validate?include=resources`,
        headers: viewer,
        payload: awsPlan(),
      });
      const data = withResources.json().data;
      expect(data.resources).toHaveLength(12);
      expect(data.resources.find((r: { address: string }) => r.address === 'aws_instance.web[1]')).toMatchObject({
        status: 'pass',
        taggable: true,
        taggable_source: 'plan',
        tags: { CostCenter: 'cc-100', Environment: 'prod', app_id: 'app-2' },
      });
      expect(data.summary.warnings).toBe(0); // the owner policy is disabled

      const only = await t.app.inject({
        method: 'POST',
        url: `${base}/validate`,
        headers: viewer,
        payload: { plan: awsPlan(), policy_ids: [owner.id] },
      });
      expect(only.statusCode, only.body.slice(0, 300)).toBe(200);
      expect(only.json().data.policies.map((p: { id: string }) => p.id)).toEqual([owner.id]);
      expect(only.json().data.summary.blocking).toBe(0);
      expect(only.json().data.violations.every((v: Violation) => v.key === 'owner')).toBe(true);

      const asText = await t.app.inject({
        method: 'POST',
        url: `${base}/validate`,
        headers: viewer,
        payload: { plan: readFixture('aws.plan.json') },
      });
      expect(asText.json().data.summary.blocking).toBe(6);
    });

    it('a disabled policy named in policy_ids is checked, and reported with its real enabled: false', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      const finops = await create(finopsBody());
      const owner = await create(ownerBody({ enabled: false, enforcement: 'block' }));
      const validate = async (payload: unknown) => {
        const res = await t.app.inject({
          method: 'POST',
          url: `${base}/validate`,
          headers: viewer,
          payload: payload as never,
        });
        expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
        return res.json().data;
      };

      // Not named: a disabled policy is neither checked nor listed.
      const all = await validate(awsPlan());
      expect(all.policies.map((p: { id: string }) => p.id)).toEqual([finops.id]);
      expect(all.violations.some((v: Violation) => v.policy_id === owner.id)).toBe(false);

      // Named: it is checked as if enabled (its violations and its enforcement count) and shown as it is.
      const named = await validate({ plan: awsPlan(), policy_ids: [owner.id, finops.id, owner.id] });
      expect(named.policies.map((p: { id: string; enabled: boolean }) => [p.id, p.enabled])).toEqual([
        [owner.id, false],
        [finops.id, true],
      ]);
      const ownerViolations = named.violations.filter((v: Violation) => v.key === 'owner');
      expect(ownerViolations.length).toBeGreaterThan(0);
      expect(ownerViolations[0]).toMatchObject({ policy_id: owner.id, enforcement: 'block' });
      expect(named.summary.blocking).toBe(all.summary.blocking + ownerViolations.length);

      // The policy itself stays disabled.
      const stored = (await t.app.inject({ url: `${base}/${owner.id}`, headers: viewer })).json().data;
      expect(stored.enabled).toBe(false);
    });

    it('an unreadable plan is a 400 saying what is wrong', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      await create(finopsBody());
      const post = (payload: unknown) =>
        t.app.inject({ method: 'POST', url: `${base}/validate`, headers: viewer, payload: payload as never });
      const state = await post({ version: 4, resources: [] });
      expect(state.statusCode).toBe(400);
      expect(state.json().error.message).toMatch(
        /^Invalid plan: not a Terraform plan: no resource_changes or planned_values/,
      );
      const text = await post({ plan: '{"resource_changes": [' });
      expect(text.statusCode).toBe(400);
      expect(text.json().error.message).toMatch(/^Invalid plan: plan is not valid JSON/);
      expect(text.json().error.details[0].path).toBe('body.plan');
      const badChanges = await post({ format_version: '1.2', resource_changes: {} });
      expect(badChanges.json().error.message).toBe('Invalid plan: resource_changes must be an array');
      const future = await post({ format_version: '2.0', resource_changes: [] });
      expect(future.json().error.message).toMatch(/unsupported plan format_version 2\.0/);
      const extra = await post({ plan: awsPlan(), policyIds: ['x'] });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().error.details).toEqual([{ path: 'body.policyIds', message: 'unknown field "policyIds"' }]);
      const unknownPolicy = await post({ plan: awsPlan(), policy_ids: ['e17b9d51-151d-4855-a17e-6349e485584c'] });
      expect(unknownPolicy.statusCode).toBe(400);
      expect(unknownPolicy.json().error.details[0].path).toBe('body.policy_ids[0]');
      const idsWithoutPlan = await post({ policy_ids: ['x'], resource_changes: [] });
      expect(idsWithoutPlan.statusCode).toBe(400);
      const array = await post([1, 2]);
      expect(array.statusCode).toBe(400);
      const notJson = await t.app.inject({
        method: 'POST',
        url: `${base}/validate`,
        headers: { ...viewer, 'content-type': 'application/json' },
        payload: '{"resource_changes": [',
      });
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json().error.message).toBe('Request body is not valid JSON');
    });

    it('applies policy exemptions (with expiry) and inline infracast:skip tags', async () => {
      const { t, base, viewer, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      const validate = async (plan = awsPlan()) =>
        (await t.app.inject({ method: 'POST', url: `${base}/validate`, headers: viewer, payload: plan })).json().data;
      expect(find((await validate()).violations, 'aws_instance.web[0]', 'app_id')).toHaveLength(1);

      await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: {
          exemptions: [
            { resource: 'aws_instance.web', keys: ['app_id'], reason: 'legacy fleet', expires_at: '2999-01-01' },
            { resource: 'module.network.*', expires_at: '2001-01-01T00:00:00Z' },
          ],
        },
      });
      const exempted = await validate();
      expect(find(exempted.violations, 'aws_instance.web[0]', 'app_id')).toHaveLength(0);
      // The expired exemption no longer applies.
      expect(find(exempted.violations, 'module.network.aws_vpc.main', 'CostCenter')).toHaveLength(1);

      const plan = awsPlan() as { resource_changes: { address: string; change: { after: Record<string, unknown> } }[] };
      const vpc = plan.resource_changes.find((r) => r.address === 'module.network.aws_vpc.main')!;
      const tagsAll = (vpc.change.after.tags_all ?? vpc.change.after.tags) as Record<string, string>;
      tagsAll['infracast:skip'] = 'CostCenter';
      if (vpc.change.after.tags_all)
        vpc.change.after.tags = { ...(vpc.change.after.tags as object), 'infracast:skip': 'CostCenter' };
      const skipped = await validate(plan as never);
      expect(find(skipped.violations, 'module.network.aws_vpc.main', 'CostCenter')).toHaveLength(0);
    });

    it('a required key absent from the known tags while tags_all is known only after apply is unknown, not blocking', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      await create(ownerBody({ enforcement: 'block' }));
      const plan = {
        format_version: '1.2',
        resource_changes: [
          {
            address: 'aws_subnet.a',
            mode: 'managed',
            type: 'aws_subnet',
            name: 'a',
            provider_name: 'registry.terraform.io/hashicorp/aws',
            change: {
              actions: ['create'],
              before: null,
              after: { cidr_block: '10.1.1.0/24', tags: { cc: 'x' } },
              after_unknown: { id: true, vpc_id: true, tags_all: true },
            },
          },
        ],
      };
      const res = await t.app.inject({
        method: 'POST',
        url: `${base}/validate?include=resources`,
        headers: viewer,
        payload: plan,
      });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
      const { data } = res.json();
      expect(data.violations).toEqual([]);
      expect(data.summary).toMatchObject({ taggable: 1, unknown: 1, failed: 0, blocking: 0 });
      expect(data.resources[0]).toMatchObject({ status: 'unknown', tags: { cc: 'x' } });
      expect(data.resources[0].checks).toEqual([
        expect.objectContaining({ key: 'owner', status: 'unknown', reason: 'tags known only after apply' }),
      ]);
    });

    it('compiles policies once per version: repeated validations reuse them, a write is seen at once, also by another instance', async () => {
      const { t, slug, base, viewer, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      const validate = async (app = t.app) =>
        (await app.inject({ method: 'POST', url: `${base}/validate`, headers: viewer, payload: awsPlan() })).json()
          .data;
      await validate();
      const loads = t.services.tagging.stats().policyLoads;
      for (let i = 0; i < 3; i++) await validate();
      expect(t.services.tagging.stats().policyLoads).toBe(loads);

      // A second instance over the same database, with its own cache.
      const other = await createTestApp({ dialect, db: t.db });
      const otherViewer = (await other.userWithRole(slug, 'viewer')).headers;
      const onOther = async () =>
        (
          await other.app.inject({ method: 'POST', url: `${base}/validate`, headers: otherViewer, payload: awsPlan() })
        ).json().data;
      expect(find((await onOther()).violations, 'aws_instance.web[0]', 'app_id')).toHaveLength(1);

      await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: {
          tags: [
            {
              key: 'app_id',
              mandatory: true,
              valueType: 'LIST',
              caseSensitive: false,
              allowedValues: ['app_1', 'app-1', 'app-2', 'app-3', 'app-4', 'app-5'],
            },
          ],
        },
      });
      expect(find((await validate()).violations, 'aws_instance.web[0]', 'app_id')).toHaveLength(0);
      expect(find((await onOther()).violations, 'aws_instance.web[0]', 'app_id')).toHaveLength(0);
      expect(t.services.tagging.stats().policyLoads).toBe(loads + 1);
    });
  });
}
