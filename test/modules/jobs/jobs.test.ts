/**
 * Discovery jobs through the API and the in-process runner: each source on
 * realistic documents, upsert/unchanged/removed across ingests, cancel,
 * malformed input, body limits, states and their 409s, events.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import type { EventMap } from '../../../src/platform/events.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import {
  createJob,
  getJob,
  ingest,
  inventoryOf,
  readJson,
  snapshotFromDir,
  startRunner,
  waitForJob,
} from './helpers.ts';

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

async function setup(dialect: 'sqlite' | 'postgres', opts: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp({ dialect, ...opts });
  await t.createTenant('acme');
  const editor = await t.userWithRole('acme', 'editor');
  return { t, h: editor.headers };
}

function recordEvents(t: TestApp) {
  const seen: { name: string; payload: unknown }[] = [];
  for (const name of ['job.completed', 'job.failed', 'job.cancelled', 'inventory.changed'] as const) {
    t.services.events.subscribe(name, (payload: EventMap[typeof name]) => {
      seen.push({ name, payload });
    });
  }
  return seen;
}

const nodeIds = async (t: TestApp, h: Record<string, string>, qs = '') => {
  const res = await t.app.inject({ url: `/api/v1/tenants/acme/nodes?per_page=500&sort=name${qs}`, headers: h });
  expect(res.statusCode, res.body).toBe(200);
  return res
    .json()
    .data.map((n: { id: string }) => n.id)
    .sort() as string[];
};

for (const dialect of testDialects()) {
  describe(`${dialect}: discovery jobs`, () => {
    it('terraform_state: a v4 state with modules and for_each, then `terraform show -json` of a multi-region, multi-cloud state', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      const events = recordEvents(t);
      const job = await ingest(t, runner, 'acme', h, {
        name: 'two-tier',
        source: 'terraform_state',
        input: readJson('terraform/two-tier.tfstate'),
      });
      expect(job).toMatchObject({
        status: 'succeeded',
        source: 'terraform_state',
        progress: { percent: 100, step: 'done' },
        counts: { created: 20, updated: 0, unchanged: 0, removed: 0, edges: 59 },
        error: null,
        attempts: 1,
        cancel_requested: false,
        result: {
          skipped_documents: [],
          scopes: ['terraform_state:lineage:3f7c1a52-7d2e-4c1b-9a8f-2b6d5e4c3a21'],
          edges: { created: 59, updated: 0, unchanged: 0, removed: 0, skipped: 0 },
        },
      });
      expect(job.result.warnings).toContain('skipped resources of non-cloud providers (random: 1)');
      for (const k of ['created_at', 'queued_at', 'started_at', 'finished_at']) expect(job[k]).toBeTruthy();
      const web = await t.app.inject({
        url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:web-01')}`,
        headers: h,
      });
      expect(web.json().data).toMatchObject({
        id: 'aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091',
        name: 'web-01',
        account: '111111111111',
        source: job.id,
        attributes: { terraform_address: 'module.app.aws_instance.this["web-01"]' },
      });

      const multi = await ingest(t, runner, 'acme', h, {
        name: 'multi-region',
        source: 'terraform_state',
        input: readJson('terraform/multi-region.show.json'),
      });
      expect(multi.status).toBe('succeeded');
      expect(multi.counts).toMatchObject({ created: 33, edges: 91 });
      // `terraform show -json` has no lineage: the job name is the scope.
      expect(multi.result.scopes).toEqual(['terraform_state:name:multi-region']);
      const regions = await t.app.inject({ url: '/api/v1/tenants/acme/nodes?region=us-west-2&per_page=1', headers: h });
      expect(regions.json().meta.total).toBeGreaterThan(0);
      for (const provider of ['azure', 'google']) {
        const res = await t.app.inject({ url: `/api/v1/tenants/acme/nodes?provider=${provider}`, headers: h });
        expect(res.json().meta.total, provider).toBeGreaterThan(0);
      }
      const accounts = await t.app.inject({
        url: '/api/v1/tenants/acme/nodes?account=333333333333&per_page=1',
        headers: h,
      });
      expect(accounts.json().meta.total).toBeGreaterThan(0);

      await t.services.events.idle();
      const completed = events.filter((e) => e.name === 'job.completed').map((e) => e.payload as Json);
      expect(completed).toHaveLength(2);
      expect(completed[0]).toMatchObject({
        jobId: job.id,
        kind: 'discovery',
        source: 'terraform_state',
        counts: { created: 20, edges: 59 },
      });
      expect(events.filter((e) => e.name === 'inventory.changed')).toHaveLength(2);
    });

    it('terraform_plan: resources to be created (unknown values, count, for_each in modules) and several regions', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      const job = await ingest(t, runner, 'acme', h, {
        name: 'staging plan',
        source: 'terraform_plan',
        input: readJson('terraform/plan.json'),
      });
      expect(job.status).toBe('succeeded');
      expect(job.counts).toMatchObject({ created: 12, updated: 0, removed: 0 });
      expect(job.result.scopes).toEqual(['terraform_plan:name:staging plan']);
      const ids = await nodeIds(t, h);
      expect(ids).toContain('aws:eu-west-1:aws.ec2.subnet:aws_subnet.app["b"]');
      expect(ids).toContain('aws:eu-west-1:aws.ec2.instance:module.app["a"].aws_instance.this');
      expect(ids).toContain('aws:us-east-1:aws.ec2.instance:aws_instance.bastion');
      const vpc = await t.app.inject({
        url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:eu-west-1:aws.ec2.vpc:aws_vpc.main')}`,
        headers: h,
      });
      // Known after apply: kept distinct from strings.
      expect(vpc.json().data.attributes.arn).toEqual({ $unknown: true });
      expect(vpc.json().data.attributes.cidr_block).toBe('10.20.0.0/16');
    });

    it('aws_snapshot: several accounts and regions; unknown documents are skipped, not fatal; empty documents', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      const twoTier = await ingest(t, runner, 'acme', h, {
        name: 'two-tier',
        source: 'aws_snapshot',
        input: snapshotFromDir('aws-snapshot/two-tier'),
      });
      expect(twoTier.status).toBe('succeeded');
      expect(twoTier.counts).toMatchObject({ created: 19, edges: 33 });
      expect(twoTier.result.scopes).toEqual(['aws_snapshot:111111111111:us-east-1']);

      const multi = await ingest(t, runner, 'acme', h, {
        name: 'org',
        source: 'aws_snapshot',
        input: snapshotFromDir('jobs/aws-multi'),
      });
      expect(multi.status).toBe('succeeded');
      expect(multi.counts).toEqual({ created: 5, updated: 0, unchanged: 0, removed: 0, edges: 1 });
      expect(multi.result.skipped_documents).toEqual(['333333333333/us-east-1/sns-list-topics.json']);
      expect(multi.result.scopes).toEqual([
        'aws_snapshot:222222222222:eu-west-1',
        'aws_snapshot:222222222222:us-east-1',
        'aws_snapshot:333333333333:us-east-1',
      ]);
      expect(await nodeIds(t, h, '&tag.cost-center=cc-7')).toEqual(['aws:us-east-1:aws.ec2.vpc:vpc-0333e1000000000d4']);

      // An empty document for one account/region: everything seen there before is gone now (with its edges);
      // the other scopes, and the two-tier snapshot, are untouched.
      const emptied = await ingest(t, runner, 'acme', h, {
        name: 'org',
        source: 'aws_snapshot',
        input: {
          documents: [
            {
              name: '333333333333/us-east-1/ec2-describe-vpcs.json',
              account_id: '333333333333',
              region: 'us-east-1',
              content: { Vpcs: [] },
            },
            {
              name: '333333333333/us-east-1/ec2-describe-subnets.json',
              account_id: '333333333333',
              region: 'us-east-1',
              content: { Subnets: [] },
            },
          ],
        },
      });
      expect(emptied.status).toBe('succeeded');
      expect(emptied.counts).toEqual({ created: 0, updated: 0, unchanged: 0, removed: 2, edges: 0 });
      expect(emptied.result.edges.removed).toBe(1);
      expect(await nodeIds(t, h, '&account=333333333333')).toEqual([]);
      expect((await nodeIds(t, h, '&account=222222222222')).length).toBe(3);
      expect((await nodeIds(t, h, '&account=111111111111')).length).toBe(19);

      // Nothing recognisable at all: succeeded, every document reported, nothing removed.
      const unknown = await ingest(t, runner, 'acme', h, {
        name: 'junk',
        source: 'aws_snapshot',
        input: {
          account_id: '222222222222',
          region: 'us-east-1',
          documents: [
            { name: 'topics.json', content: { Topics: [], Foo: 1 } },
            { name: 'empty.json', content: {} },
          ],
        },
      });
      expect(unknown.status, JSON.stringify(unknown.error)).toBe('succeeded');
      expect(unknown.counts.removed).toBe(0);
      expect(unknown.result.skipped_documents).toContain('topics.json');
    });

    it('empty Terraform documents succeed with nothing in them', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      const state = await ingest(t, runner, 'acme', h, {
        name: 'empty',
        source: 'terraform_state',
        input: {
          version: 4,
          terraform_version: '1.7.5',
          serial: 1,
          lineage: 'empty-lineage',
          outputs: {},
          resources: [],
        },
      });
      expect(state.status).toBe('succeeded');
      expect(state.counts).toEqual({ created: 0, updated: 0, unchanged: 0, removed: 0, edges: 0 });
      const plan = await ingest(t, runner, 'acme', h, {
        name: 'empty plan',
        source: 'terraform_plan',
        input: {
          format_version: '1.2',
          terraform_version: '1.7.5',
          planned_values: { root_module: {} },
          resource_changes: [],
        },
      });
      expect(plan.status, JSON.stringify(plan.error)).toBe('succeeded');
      expect(plan.counts.created).toBe(0);
    });

    it.each([
      ['inline', {}],
      ['threaded', { threadMinBytes: 0 }],
    ])(
      're-ingest is an upsert (%s): same ids and first_seen_at, unchanged not rewritten, gone resources removed with their edges',
      async (_mode, tuning) => {
        const { t, h } = await setup(dialect, { discovery: tuning });
        const runner = startRunner(t);
        const events = recordEvents(t);
        const v1 = readJson('terraform/two-tier.tfstate') as { resources: Json[] };
        const first = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v1 });
        expect(first.counts).toMatchObject({ created: 20 });
        const before = await inventoryOf(t, 'acme');
        const webBefore = (
          await t.app.inject({
            url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091')}`,
            headers: h,
          })
        ).json().data;
        const tenant = await t.services.tenants.operatorScope('acme');
        const version = async () =>
          (
            await t.services.db
              .selectFrom('tenants')
              .select('inventory_version')
              .where('id', '=', tenant.id)
              .executeTakeFirstOrThrow()
          ).inventory_version;
        const v = await version();

        await new Promise((r) => setTimeout(r, 5));
        const same = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v1 });
        expect(same.counts).toEqual({ created: 0, updated: 0, unchanged: 20, removed: 0, edges: 59 });
        expect(same.result.edges).toEqual({ created: 0, updated: 0, unchanged: 59, removed: 0, skipped: 0 });
        // Byte-for-byte the same input, nothing changed since: the first job's outcome is reused unparsed.
        expect(same.input_sha256).toBe(first.input_sha256);
        expect(same.result).toMatchObject({
          same_input_as: first.id,
          inventory_version: first.result.inventory_version,
        });
        expect(first.result.same_input_as).toBeUndefined();
        // The same resources in a new serial of the state: all but the serial is the same, nothing changed since:
        // recognised before parsing.
        const serial = Number((v1 as Json).serial ?? 0);
        const reserialed = await ingest(t, runner, 'acme', h, {
          name: 'tf',
          source: 'terraform_state',
          input: { ...v1, serial: serial + 1 },
        });
        expect(reserialed.input_sha256).not.toBe(first.input_sha256);
        expect(reserialed.result.same_input_as).toBeUndefined();
        expect(first.result.state_sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(reserialed.result.state_sha256).toBe(first.result.state_sha256);
        expect(reserialed.result.same_state_as).toBe(same.id);
        expect(reserialed.result.content_sha256).toBe(first.result.content_sha256);
        expect(reserialed.counts).toEqual({ created: 0, updated: 0, unchanged: 20, removed: 0, edges: 59 });
        expect(reserialed.result.edges).toEqual({ created: 0, updated: 0, unchanged: 59, removed: 0, skipped: 0 });
        // New outputs too: another state digest, so parsed; but the same rows, recognised once parsed, nothing
        // compared.
        const newOutputs = await ingest(t, runner, 'acme', h, {
          name: 'tf',
          source: 'terraform_state',
          input: { ...v1, serial: serial + 2, outputs: { url: { value: 'https://example.com', type: 'string' } } },
        });
        expect(newOutputs.result.state_sha256).not.toBe(first.result.state_sha256);
        expect(newOutputs.result.same_state_as).toBeUndefined();
        expect(newOutputs.result.content_sha256).toBe(first.result.content_sha256);
        expect(newOutputs.result.same_content_as).toBe(reserialed.id);
        expect(newOutputs.counts).toEqual({ created: 0, updated: 0, unchanged: 20, removed: 0, edges: 59 });
        // Jobs made by other parsing code (as before an upgrade): the very same bytes are parsed again.
        const jobs = await t.services.db
          .selectFrom('jobs')
          .select(['id', 'result'])
          .where('tenant_id', '=', tenant.id)
          .execute();
        for (const j of jobs) {
          if (j.result === null) continue;
          const result = { ...JSON.parse(j.result), parser_version: 'an-older-parser' };
          await t.services.db
            .updateTable('jobs')
            .set({ result: JSON.stringify(result) })
            .where('id', '=', j.id)
            .execute();
        }
        const upgraded = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v1 });
        expect(upgraded.result.same_input_as).toBeUndefined();
        expect(upgraded.result.same_state_as).toBeUndefined();
        expect(upgraded.result.parser_version).toBe(first.result.parser_version);
        expect(upgraded.result.same_content_as).toBe(newOutputs.id);
        const after = await inventoryOf(t, 'acme');
        expect(after).toEqual(before);
        // Nothing was rewritten: source and updated_at still name the first job; last_seen_at moved on.
        const webSame = (
          await t.app.inject({
            url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091')}`,
            headers: h,
          })
        ).json().data;
        expect(webSame).toMatchObject({
          source: first.id,
          updated_at: webBefore.updated_at,
          first_seen_at: webBefore.first_seen_at,
        });
        expect(webSame.last_seen_at > webBefore.last_seen_at).toBe(true);
        expect(await version()).toBe(v); // nothing changed: the path tracer's cache stays valid

        // v2: the db instance is gone, the web instance has a new tag, the log group moved to a new name.
        const v2 = clone(v1);
        const app = v2.resources.find((r) => r.type === 'aws_instance') as {
          instances: { index_key: string; attributes: Json }[];
        };
        app.instances = app.instances.filter((i) => i.index_key !== 'db-01');
        const webAttrs = app.instances[0]?.attributes as { tags: Json; tags_all: Json };
        webAttrs.tags = { ...webAttrs.tags, owner: 'team-web' };
        webAttrs.tags_all = { ...webAttrs.tags_all, owner: 'team-web' };
        // An edge made by hand to the db instance (no scope): it goes with the instance.
        const manual = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/nodes',
          headers: h,
          payload: { provider: 'aws', region: 'us-east-1', type: 'aws.ec2.test', name: 'watcher' },
        });
        expect(manual.statusCode, manual.body).toBe(201);
        const manualEdge = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/edges',
          headers: h,
          payload: {
            source_id: manual.json().data.id,
            target_id: 'aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60092',
            type: 'watches',
          },
        });
        expect(manualEdge.statusCode, manualEdge.body).toBe(201);
        const changed = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v2 });
        expect(changed.status).toBe('succeeded');
        expect(changed.counts).toMatchObject({ created: 0, updated: 1, unchanged: 18, removed: 1 });
        expect(changed.result.edges.removed).toBeGreaterThan(0);
        const web = (
          await t.app.inject({
            url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091')}`,
            headers: h,
          })
        ).json().data;
        expect(web).toMatchObject({
          first_seen_at: webBefore.first_seen_at,
          created_at: webBefore.created_at,
          source: changed.id,
        });
        expect(web.tags.owner).toBe('team-web');
        expect(
          (
            await t.app.inject({
              url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60092')}`,
              headers: h,
            })
          ).statusCode,
        ).toBe(404);
        const dangling = await t.app.inject({
          url: `/api/v1/tenants/acme/edges?node_id=${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60092')}`,
          headers: h,
        });
        expect(dangling.json().meta.total).toBe(0);
        const watcher = await t.app.inject({
          url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(manual.json().data.id)}`,
          headers: h,
        });
        expect(watcher.statusCode).toBe(200);
        // One version each for the manual node, the manual edge and the ingest.
        expect(await version()).toBe(v + 3);
        await t.services.events.idle();
        expect(events.filter((e) => e.name === 'inventory.changed').map((e) => (e.payload as Json).version)).toEqual([
          v,
          v + 1,
          v + 2,
          v + 3,
        ]);

        // A manual edit of an ingested node is overwritten by the next ingest that sees it.
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/tenants/acme/nodes/${encodeURIComponent('aws:us-east-1:aws.ec2.instance:i-0a1b2c3d4e5f60091')}`,
          headers: h,
          payload: { tags: { owner: 'someone-else' } },
        });
        const reasserted = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v2 });
        // Same input as `changed`, but the inventory changed since: parsed and compared again.
        expect(reasserted.result.same_input_as).toBeUndefined();
        expect(reasserted.result.content_sha256).toBe(changed.result.content_sha256);
        expect(reasserted.result.same_content_as).toBeUndefined();
        expect(reasserted.counts).toMatchObject({ updated: 1, unchanged: 18, removed: 0 });
        const again = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v2 });
        expect(again.result.same_input_as).toBe(reasserted.id);
        expect(again.counts).toEqual({
          created: 0,
          updated: 0,
          unchanged: 19,
          removed: 0,
          edges: reasserted.counts.edges,
        });
      },
    );

    it.each([
      ['inline', {}],
      ['threaded', { threadMinBytes: 0 }],
    ])(
      'a node the input links to, deleted between the compare and the write (%s): compared again, nothing lost or dangling',
      async (_mode, tuning) => {
        const vpcId = 'aws:us-east-1:aws.ec2.vpc:vpc-0a1b2c3d4e5f60001';
        let deletions = 0;
        const { t, h } = await setup(dialect, {
          discovery: {
            ...tuning,
            // Once, for the second ingest: the VPC goes (with its edges) after the compare saw it unchanged.
            beforeWrite: async (job) => {
              if (job.name !== 'tf v2' || deletions > 0) return;
              deletions += 1;
              const res = await t.app.inject({
                method: 'DELETE',
                url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(vpcId)}`,
                headers: h,
              });
              expect(res.statusCode, res.body).toBe(204);
            },
          },
        });
        const runner = startRunner(t);
        const v1 = readJson('terraform/two-tier.tfstate') as { resources: Json[] };
        const first = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: v1 });
        expect(first.status).toBe('succeeded');
        // v2 adds a subnet in the VPC: a new edge from the (unchanged) VPC.
        const v2 = clone(v1);
        const privateSubnet = v2.resources.find((r) => r.type === 'aws_subnet' && r.name === 'private') as {
          instances: { attributes: Json }[];
        };
        const extra = clone(privateSubnet) as unknown as Json & { instances: { attributes: Json }[] };
        extra.name = 'extra';
        const attrs = extra.instances[0]?.attributes as Json;
        attrs.id = 'subnet-0a1b2c3d4e5f600ff';
        attrs.arn = 'arn:aws:ec2:us-east-1:111111111111:subnet/subnet-0a1b2c3d4e5f600ff';
        attrs.cidr_block = '10.0.99.0/24';
        v2.resources.push(extra);
        const second = await ingest(t, runner, 'acme', h, { name: 'tf v2', source: 'terraform_state', input: v2 });
        expect(deletions).toBe(1);
        expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
        // The second compare found the VPC gone: it is written anew, with every edge to it.
        expect(second.counts).toMatchObject({ created: 2, removed: 0 });
        const vpc = await t.app.inject({ url: `/api/v1/tenants/acme/nodes/${encodeURIComponent(vpcId)}`, headers: h });
        expect(vpc.statusCode).toBe(200);
        const fromVpc = await t.app.inject({
          url: `/api/v1/tenants/acme/edges?per_page=100&source_id=${encodeURIComponent(vpcId)}`,
          headers: h,
        });
        expect(fromVpc.json().data.map((e: { target_id: string }) => e.target_id)).toContain(
          'aws:us-east-1:aws.ec2.subnet:subnet-0a1b2c3d4e5f600ff',
        );
        // The same inventory as a clean ingest of v2 in another tenant.
        await t.createTenant('clean');
        const owner = await t.userWithRole('clean', 'editor');
        await ingest(t, runner, 'clean', owner.headers, { name: 'tf v2', source: 'terraform_state', input: v2 });
        expect(await inventoryOf(t, 'acme')).toEqual(await inventoryOf(t, 'clean'));
      },
    );

    it.each([
      ['inline', {}],
      ['threaded', { threadMinBytes: 0 }],
    ])(
      'the tenant deleted between the compare and the write (%s): nothing of the job is written',
      async (_mode, tuning) => {
        let deleted = false;
        let ownerHeaders: Record<string, string> = {};
        const { t, h } = await setup(dialect, {
          discovery: {
            ...tuning,
            beforeWrite: async () => {
              const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/tenants/acme', headers: ownerHeaders });
              expect(res.statusCode, res.body).toBe(204);
              deleted = true;
            },
          },
        });
        ownerHeaders = (await t.userWithRole('acme', 'owner')).headers;
        const tenant = await t.services.tenants.operatorScope('acme');
        const runner = startRunner(t);
        const created = await createJob(t, 'acme', h, {
          name: 'doomed',
          source: 'terraform_state',
          input: readJson('terraform/two-tier.tfstate') as Json,
          start: true,
        });
        expect(created.statusCode, created.body).toBe(201);
        for (let i = 0; i < 500 && !deleted; i++) await new Promise((r) => setTimeout(r, 10));
        expect(deleted).toBe(true);
        await runner.stop(); // waits for the job's handler to end
        for (const table of ['nodes', 'edges', 'jobs'] as const) {
          const rows = await t.services.db.selectFrom(table).select('id').where('tenant_id', '=', tenant.id).execute();
          expect(rows, table).toEqual([]);
        }
      },
    );

    it('an input is kept until its job ends (in a file beside a SQLite database, in the database on PostgreSQL)', async () => {
      const { t, h } = await setup(dialect);
      const input = readJson('terraform/two-tier.tfstate');
      const created = (await createJob(t, 'acme', h, { name: 'tf', source: 'terraform_state', input })).json().data;
      const kept = async (id: string) => {
        const stored = await t.services.jobInputs.open(t.services.db, id);
        if ('file' in stored) return existsSync(stored.file);
        let text = '';
        for await (const part of stored.parts) text += part;
        return text.length > 0;
      };
      expect(await kept(created.id)).toBe(true);
      const stored = await t.services.jobInputs.open(t.services.db, created.id);
      expect('file' in stored).toBe(dialect === 'sqlite');
      if ('file' in stored) expect(JSON.parse(readFileSync(stored.file, 'utf8'))).toEqual(input);
      const cancel = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${created.id}/cancel`,
        headers: h,
      });
      expect(cancel.statusCode, cancel.body).toBe(200);
      expect(await kept(created.id)).toBe(false);

      const runner = startRunner(t);
      const done = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input });
      expect(done.status).toBe('succeeded');
      await runner.drain();
      await new Promise((r) => setTimeout(r, 50)); // the input is deleted just after the job ends
      expect(await kept(done.id)).toBe(false);
    });

    it('a malformed document fails the job with an error naming the document and field, and changes nothing', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      const events = recordEvents(t);
      await ingest(t, runner, 'acme', h, {
        name: 'tf',
        source: 'terraform_state',
        input: readJson('terraform/two-tier.tfstate'),
      });
      const before = await inventoryOf(t, 'acme');

      const broken = readJson('terraform/two-tier.tfstate') as { resources: Json[] };
      (broken.resources[3] as Json).instances = 'not a list';
      const failed = await ingest(t, runner, 'acme', h, { name: 'tf', source: 'terraform_state', input: broken });
      expect(failed.status).toBe('failed');
      expect(failed.error).toEqual({
        code: 'INVALID_INPUT',
        message: 'document "terraform_state": resources[3].instances must be an array',
        details: { document: 'terraform_state', path: 'resources[3].instances' },
      });
      expect(failed.result).toBeNull();

      const snapshot = snapshotFromDir('aws-snapshot/two-tier');
      const instances = snapshot.documents.find((d) => d.name.endsWith('ec2-describe-instances.json')) as {
        content: { Reservations: { Instances: Json[] }[] };
      };
      (instances.content.Reservations[0]?.Instances[0] as Json).InstanceId = 42;
      const aws = await ingest(t, runner, 'acme', h, { name: 'aws', source: 'aws_snapshot', input: snapshot });
      expect(aws.status).toBe('failed');
      expect(aws.error.code).toBe('INVALID_INPUT');
      expect(aws.error.message).toMatch(
        /^document "111111111111\/us-east-1\/ec2-describe-instances\.json": Reservations\[0\]\.Instances\[0\]\.InstanceId/,
      );
      expect(aws.error.details.document).toBe('111111111111/us-east-1/ec2-describe-instances.json');

      expect(await inventoryOf(t, 'acme')).toEqual(before);
      await t.services.events.idle();
      const failures = events.filter((e) => e.name === 'job.failed').map((e) => e.payload as Json);
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatchObject({ jobId: failed.id, error: { code: 'INVALID_INPUT' } });
    });

    it('states: create pending, start, start again, cancel; a finished job cannot be started or cancelled (409)', async () => {
      const { t, h } = await setup(dialect);
      const events = recordEvents(t);
      const body = { name: 'tf', source: 'terraform_state' as const, input: readJson('terraform/two-tier.tfstate') };
      const created = await createJob(t, 'acme', h, body);
      expect(created.statusCode).toBe(201);
      const job = created.json().data;
      expect(created.headers.location).toBe(`/api/v1/tenants/acme/jobs/${job.id}`);
      expect(job).toMatchObject({
        status: 'pending',
        progress: { percent: 0, step: null },
        queued_at: null,
        attempts: 0,
      });
      expect(job.input_bytes).toBeGreaterThan(20_000);

      const cancelPending = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${job.id}/cancel`,
        headers: h,
      });
      expect(cancelPending.statusCode).toBe(200);
      expect(cancelPending.json().data).toMatchObject({ status: 'cancelled', finished_at: expect.any(String) });
      const inputs = await t.services.db.selectFrom('job_inputs').select('part').where('job_id', '=', job.id).execute();
      expect(inputs).toEqual([]); // it will never run
      for (const action of ['start', 'cancel']) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/jobs/${job.id}/${action}`,
          headers: h,
        });
        expect(res.statusCode, action).toBe(409);
        expect(res.json().error.message).toBe(
          `Job ${job.id} has already finished (cancelled); it cannot be ${action === 'start' ? 'started' : 'cancelled'}`,
        );
      }

      const second = (await createJob(t, 'acme', h, body)).json().data;
      const started = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${second.id}/start`,
        headers: h,
      });
      expect(started.statusCode).toBe(202);
      expect(started.json().data).toMatchObject({ status: 'queued', queued_at: expect.any(String) });
      const again = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${second.id}/start`,
        headers: h,
      });
      expect(again.statusCode).toBe(202);
      expect(again.json().data.queued_at).toBe(started.json().data.queued_at);
      const runner = startRunner(t);
      await runner.drain();
      expect((await getJob(t, 'acme', h, second.id)).status).toBe('succeeded');
      for (const action of ['start', 'cancel']) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/jobs/${second.id}/${action}`,
          headers: h,
        });
        expect(res.statusCode, action).toBe(409);
      }
      // The stored input is dropped once the job has finished: it cannot run again.
      const parts = await t.services.db
        .selectFrom('job_inputs')
        .select('part')
        .where('job_id', '=', second.id)
        .execute();
      expect(parts).toEqual([]);
      await t.services.events.idle();
      expect(events.filter((e) => e.name === 'job.cancelled').map((e) => (e.payload as Json).jobId)).toEqual([job.id]);
    });

    it('cancel while comparing (before anything is written): the job ends cancelled, nothing changes', async () => {
      const { t, h } = await setup(dialect, { discovery: { batchPauseMs: 40 } });
      const runner = startRunner(t);
      await ingest(t, runner, 'acme', h, {
        name: 'tf',
        source: 'terraform_state',
        input: readJson('terraform/two-tier.tfstate'),
      });
      const before = await inventoryOf(t, 'acme');
      const input = generateTerraformState({ resources: 3000, edgesPerResource: 2 });
      const job = (await createJob(t, 'acme', h, { name: 'big', source: 'terraform_state', input, start: true })).json()
        .data;
      await waitForJob(t, 'acme', h, job.id, (j) => j.status === 'running' && j.progress.step === 'comparing');
      const cancel = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tenants/acme/jobs/${job.id}/cancel`,
        headers: h,
      });
      expect(cancel.statusCode, cancel.body).toBe(200);
      const done = await waitForJob(t, 'acme', h, job.id, (j) => j.status !== 'running');
      expect(done.status).toBe('cancelled');
      expect(await inventoryOf(t, 'acme')).toEqual(before);
    });

    // Inline: small inputs, written on the main connection; threaded: large ones (on SQLite, written by the ingest thread).
    it.each([
      ['inline', {}],
      ['threaded', { threadMinBytes: 0 }],
    ])(
      'cancel in the middle of writing (%s) rolls the written batches back: the inventory is as it was',
      async (_mode, tuning) => {
        // Small batches with a pause between them, so the job is caught in the middle of its write transaction.
        const { t, h } = await setup(dialect, {
          discovery: { batchPauseMs: 30, nodeBatchSize: 2, edgeBatchSize: 5, ...tuning },
        });
        const tenant = await t.services.tenants.operatorScope('acme');
        const ctx = { principal: null, requestId: null, ip: null, tenant };
        let cancelled: Promise<unknown> | null = null;
        let jobId = '';
        const runner = startRunner(t, {
          onProgress: (id, p) => {
            // SQLite has one connection, held by the job's transaction: the cancel is delivered in-process first.
            if (id === jobId && p.step === 'writing' && p.percent >= 75 && !cancelled)
              cancelled = t.services.jobs.cancel(ctx, id);
          },
        });
        const events = recordEvents(t);
        await ingest(t, runner, 'acme', h, {
          name: 'mr',
          source: 'terraform_state',
          input: readJson('terraform/multi-region.show.json'),
        });
        const before = await inventoryOf(t, 'acme');
        const res = await createJob(t, 'acme', h, {
          name: 'tf',
          source: 'terraform_state',
          input: readJson('terraform/two-tier.tfstate'),
        });
        jobId = res.json().data.id;
        await t.app.inject({ method: 'POST', url: `/api/v1/tenants/acme/jobs/${jobId}/start`, headers: h });
        const done = await waitForJob(t, 'acme', h, jobId, (j) => j.status !== 'running' && j.status !== 'queued');
        expect(cancelled).not.toBeNull();
        await cancelled;
        expect(done).toMatchObject({ status: 'cancelled', progress: { step: 'cancelled' } });
        expect(await inventoryOf(t, 'acme')).toEqual(before);
        await t.services.events.idle();
        expect(events.filter((e) => e.name === 'job.cancelled').map((e) => (e.payload as Json).jobId)).toEqual([jobId]);
        const again = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tenants/acme/jobs/${jobId}/cancel`,
          headers: h,
        });
        expect(again.statusCode).toBe(409);
      },
    );

    it('create validates the envelope; 413 over the body limit; a large body is parsed off the event loop and runs', async () => {
      const { t, h } = await setup(dialect, { env: { INFRACAST_BODY_LIMIT_MB: '3' } });
      const post = (payload: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/acme/jobs',
          headers: { ...h, 'content-type': 'application/json' },
          payload,
        });
      const cases: [string, string][] = [
        ['{"name":"x","source":"terraform_state"}', 'body.input'],
        ['{"name":"x","source":"terraform_state","input":"{}"}', 'body.input'],
        ['{"name":"x","source":"terraform_state","input":[1]}', 'body.input'],
        ['{"name":"x","source":"cloudformation","input":{}}', 'body.source'],
        ['{"name":"x","source":"terraform_state","input":{},"colour":"red"}', 'body.colour'],
        ['{"source":"terraform_state","input":{}}', 'body.name'],
      ];
      for (const [payload, path] of cases) {
        const res = await post(payload);
        expect(res.statusCode, payload).toBe(400);
        expect(
          res.json().error.details.map((d: { path: string }) => d.path),
          payload,
        ).toContain(path);
      }
      for (const payload of ['{"name":"x",', '[1,2]']) {
        const res = await post(payload);
        expect(res.statusCode, payload).toBe(400);
      }
      expect((await post('{"name":"x",')).json().error.message).toBe('Request body is not valid JSON');

      // ~2.5 MB: over the inline threshold, so the body goes through the parsing thread.
      const big = generateTerraformState({ resources: 2600, edgesPerResource: 2 });
      const bigBody = JSON.stringify({ name: 'big', source: 'terraform_state', input: big, start: true });
      expect(bigBody.length).toBeGreaterThan(1.2 * 1024 * 1024);
      expect(bigBody.length).toBeLessThan(3 * 1024 * 1024);
      const accepted = await post(bigBody);
      expect(accepted.statusCode, accepted.body.slice(0, 300)).toBe(201);
      expect(accepted.json().data).toMatchObject({ status: 'queued', input_bytes: JSON.stringify(big).length });
      // The same envelope errors from the thread.
      const bigInvalid = await post(
        `{"name":"x","source":"terraform_state","input":${JSON.stringify(big)},"colour":1}`,
      );
      expect(bigInvalid.statusCode).toBe(400);
      expect(bigInvalid.json().error.details).toEqual([{ path: 'body.colour', message: 'unknown field "colour"' }]);
      const bigBroken = await post(bigBody.slice(0, -10));
      expect(bigBroken.statusCode).toBe(400);
      expect(bigBroken.json().error.message).toBe('Request body is not valid JSON');

      const tooBig = await post(
        JSON.stringify({ name: 'x', source: 'terraform_state', input: { pad: 'x'.repeat(3 * 1024 * 1024) } }),
      );
      expect(tooBig.statusCode).toBe(413);
      expect(tooBig.json().error).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body is larger than the limit of 3 MB',
      });

      const runner = startRunner(t);
      await runner.drain();
      const job = await getJob(t, 'acme', h, accepted.json().data.id);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.counts.created).toBe(2600);
    });

    it('list filters by status and source and sorts; jobs of another tenant are 404', async () => {
      const { t, h } = await setup(dialect);
      const runner = startRunner(t);
      await ingest(t, runner, 'acme', h, {
        name: 'b-state',
        source: 'terraform_state',
        input: readJson('terraform/two-tier.tfstate'),
      });
      await ingest(t, runner, 'acme', h, {
        name: 'a-plan',
        source: 'terraform_plan',
        input: readJson('terraform/plan.json'),
      });
      const pending = (
        await createJob(t, 'acme', h, {
          name: 'c-aws',
          source: 'aws_snapshot',
          input: snapshotFromDir('aws-snapshot/two-tier'),
        })
      ).json().data;
      const list = async (qs: string) => {
        const res = await t.app.inject({ url: `/api/v1/tenants/acme/jobs?${qs}`, headers: h });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().data.map((j: { name: string }) => j.name);
      };
      expect(await list('')).toEqual(['c-aws', 'a-plan', 'b-state']);
      expect(await list('sort=name')).toEqual(['a-plan', 'b-state', 'c-aws']);
      expect(await list('status=succeeded&sort=name')).toEqual(['a-plan', 'b-state']);
      expect(await list('status=pending,queued')).toEqual(['c-aws']);
      expect(await list('source=terraform_plan,aws_snapshot&sort=-name')).toEqual(['c-aws', 'a-plan']);
      expect((await t.app.inject({ url: '/api/v1/tenants/acme/jobs?status=done', headers: h })).statusCode).toBe(400);
      const badSource = await t.app.inject({ url: '/api/v1/tenants/acme/jobs?source=terraform_plan,cdk', headers: h });
      expect(badSource.statusCode).toBe(400);
      expect(badSource.json().error.message).toMatch(/^Unknown job source "cdk"; one of terraform_state, /);
      expect(badSource.json().error.details[0].path).toBe('querystring.source');
      expect((await t.app.inject({ url: '/api/v1/tenants/acme/jobs?sort=size', headers: h })).statusCode).toBe(400);

      await t.createTenant('other');
      const stranger = await t.userWithRole('other', 'owner');
      for (const [method, path] of [
        ['GET', ''],
        ['POST', '/start'],
        ['POST', '/cancel'],
      ]) {
        const res = await t.app.inject({
          method: method as 'GET',
          url: `/api/v1/tenants/other/jobs/${pending.id}${path}`,
          headers: stranger.headers,
        });
        expect(res.statusCode, path).toBe(404);
        expect(res.json().error.message).toBe(`job ${pending.id} not found`);
      }
      expect(
        (await t.app.inject({ url: '/api/v1/tenants/other/jobs', headers: stranger.headers })).json().meta.total,
      ).toBe(0);
      expect((await getJob(t, 'acme', h, pending.id)).status).toBe('pending');
    });
  });
}
