/**
 * What an AWS snapshot may remove: only the account/region pairs it was taken
 * in. Shared VPCs, transit-gateway hubs and peerings make one account's
 * documents list another account's (or region's) objects; those are written
 * (one node per object) but never removed by a snapshot that is not theirs.
 */
import { describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { testDialects } from '../../helpers/env.ts';
import { ingest, startRunner } from './helpers.ts';

const A = '111111111111';
const B = '222222222222';

type Doc = { name: string; content: unknown; account_id?: string; region?: string };
const snapshot = (account: string, region: string, documents: Doc[]) => ({ account_id: account, region, documents });

const vpc = (id: string, cidr: string, owner: string) => ({
  VpcId: id,
  CidrBlock: cidr,
  State: 'available',
  OwnerId: owner,
});
const subnet = (id: string, vpcId: string, cidr: string, owner: string) => ({
  SubnetId: id,
  VpcId: vpcId,
  CidrBlock: cidr,
  AvailabilityZone: 'us-east-1a',
  OwnerId: owner,
  State: 'available',
});
const reservation = (owner: string, id: string, subnetId: string, vpcId: string, ip: string) => ({
  OwnerId: owner,
  Instances: [
    {
      InstanceId: id,
      State: { Name: 'running' },
      SubnetId: subnetId,
      VpcId: vpcId,
      Placement: { AvailabilityZone: 'us-east-1a' },
      PrivateIpAddress: ip,
      NetworkInterfaces: [],
    },
  ],
});

/** Account A owns a VPC it shares with B (one subnet) and a VPC of its own with an instance. */
const ownerA = snapshot(A, 'us-east-1', [
  { name: 'vpcs.json', content: { Vpcs: [vpc('vpc-0shared', '10.0.0.0/16', A), vpc('vpc-0aonly', '10.5.0.0/16', A)] } },
  {
    name: 'subnets.json',
    content: {
      Subnets: [
        subnet('subnet-0sh', 'vpc-0shared', '10.0.1.0/24', A),
        subnet('subnet-0ao', 'vpc-0aonly', '10.5.1.0/24', A),
      ],
    },
  },
  {
    name: 'instances.json',
    content: { Reservations: [reservation(A, 'i-0a1', 'subnet-0ao', 'vpc-0aonly', '10.5.1.10')] },
  },
]);

/** Account B, a participant: AWS lists the shared VPC and subnet with the owner's OwnerId. */
const participantB = snapshot(B, 'us-east-1', [
  { name: 'vpcs.json', content: { Vpcs: [vpc('vpc-0shared', '10.0.0.0/16', A)] } },
  { name: 'subnets.json', content: { Subnets: [subnet('subnet-0sh', 'vpc-0shared', '10.0.1.0/24', A)] } },
  {
    name: 'instances.json',
    content: { Reservations: [reservation(B, 'i-0b1', 'subnet-0sh', 'vpc-0shared', '10.0.1.20')] },
  },
]);

async function setup(dialect: 'sqlite' | 'postgres') {
  const t = await createTestApp({ dialect });
  await t.createTenant('acme');
  const editor = await t.userWithRole('acme', 'editor');
  return { t, h: editor.headers, runner: startRunner(t) };
}

async function nodeNames(t: TestApp, h: Record<string, string>): Promise<string[]> {
  const res = await t.app.inject({ url: '/api/v1/tenants/acme/nodes?per_page=500', headers: h });
  expect(res.statusCode, res.body).toBe(200);
  return res
    .json()
    .data.map((n: { native_id: string; id: string }) => n.id.split(':').slice(3).join(':'))
    .sort();
}

async function edgesBetween(t: TestApp, h: Record<string, string>, type: string) {
  const res = await t.app.inject({ url: `/api/v1/tenants/acme/edges?per_page=500&types=${type}`, headers: h });
  expect(res.statusCode, res.body).toBe(200);
  return res
    .json()
    .data.map(
      (e: { source_id: string; target_id: string }) => `${e.source_id.split(':')[3]} → ${e.target_id.split(':')[3]}`,
    )
    .sort();
}

for (const dialect of testDialects()) {
  describe(`${dialect}: what an AWS snapshot covers`, () => {
    it("a participant's snapshot of a shared VPC removes none of the owner's resources", async () => {
      const { t, h, runner } = await setup(dialect);
      const a = await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: ownerA });
      expect(a.status).toBe('succeeded');
      const b = await ingest(t, runner, 'acme', h, { name: 'b', source: 'aws_snapshot', input: participantB });
      expect(b.status, JSON.stringify(b.error)).toBe('succeeded');
      expect(b.result.scopes).toEqual([`aws_snapshot:${B}:us-east-1`]);
      expect(b.counts).toMatchObject({ created: 1, removed: 0 });
      expect(await nodeNames(t, h)).toEqual([
        'i-0a1',
        'i-0b1',
        'subnet-0ao',
        'subnet-0sh',
        'vpc-0aonly',
        'vpc-0shared',
      ]);

      // The shared VPC and subnet are one node each, whoever saw them.
      const again = await ingest(t, runner, 'acme', h, { name: 'b', source: 'aws_snapshot', input: participantB });
      expect(again.counts).toMatchObject({ removed: 0 });
      expect((await nodeNames(t, h)).length).toBe(6);
    });

    it("the owner's next snapshot keeps the participant's instance in the shared subnet, edge included", async () => {
      const { t, h, runner } = await setup(dialect);
      await ingest(t, runner, 'acme', h, { name: 'b', source: 'aws_snapshot', input: participantB });
      expect(await edgesBetween(t, h, 'contains')).toContain('subnet-0sh → i-0b1');
      const a = await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: ownerA });
      expect(a.status).toBe('succeeded');
      expect(a.result.edges.removed).toBe(0);
      expect(await edgesBetween(t, h, 'contains')).toContain('subnet-0sh → i-0b1');

      // When the participant's instance is gone, its own snapshot removes it, and the edge with it.
      const emptied = snapshot(B, 'us-east-1', [{ name: 'instances.json', content: { Reservations: [] } }]);
      const gone = await ingest(t, runner, 'acme', h, { name: 'b', source: 'aws_snapshot', input: emptied });
      expect(gone.counts).toMatchObject({ removed: 1 });
      expect(await nodeNames(t, h)).not.toContain('i-0b1');
      expect(await edgesBetween(t, h, 'contains')).not.toContain('subnet-0sh → i-0b1');
      expect(await nodeNames(t, h)).toContain('vpc-0aonly');
    });

    it("a transit-gateway hub's snapshot, listing a spoke account's VPC attachment, leaves the spoke's inventory", async () => {
      const { t, h, runner } = await setup(dialect);
      const spoke = snapshot(B, 'us-east-1', [
        { name: 'vpcs.json', content: { Vpcs: [vpc('vpc-0spoke', '10.2.0.0/16', B)] } },
        { name: 'subnets.json', content: { Subnets: [subnet('subnet-0spoke', 'vpc-0spoke', '10.2.1.0/24', B)] } },
        {
          name: 'instances.json',
          content: { Reservations: [reservation(B, 'i-0spoke', 'subnet-0spoke', 'vpc-0spoke', '10.2.1.10')] },
        },
      ]);
      const hub = snapshot(A, 'us-east-1', [
        {
          name: 'tgw.json',
          content: { TransitGateways: [{ TransitGatewayId: 'tgw-0hub', OwnerId: A, State: 'available', Options: {} }] },
        },
        {
          name: 'describe-transit-gateway-attachments.json',
          content: {
            TransitGatewayAttachments: [
              {
                TransitGatewayAttachmentId: 'tgw-attach-0spoke',
                TransitGatewayId: 'tgw-0hub',
                TransitGatewayOwnerId: A,
                ResourceOwnerId: B,
                ResourceType: 'vpc',
                ResourceId: 'vpc-0spoke',
                State: 'available',
              },
            ],
          },
        },
      ]);
      await ingest(t, runner, 'acme', h, { name: 'spoke', source: 'aws_snapshot', input: spoke });
      const done = await ingest(t, runner, 'acme', h, { name: 'hub', source: 'aws_snapshot', input: hub });
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.counts.removed).toBe(0);
      expect(await nodeNames(t, h)).toEqual(
        expect.arrayContaining(['i-0spoke', 'subnet-0spoke', 'tgw-0hub', 'tgw-attach-0spoke', 'vpc-0spoke']),
      );
    });

    it("one region's snapshot with a peering to another region removes nothing in that other region", async () => {
      const { t, h, runner } = await setup(dialect);
      await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: ownerA });
      const eu = snapshot(A, 'eu-west-1', [
        { name: 'vpcs.json', content: { Vpcs: [vpc('vpc-0eu', '10.9.0.0/16', A)] } },
        {
          name: 'pcx.json',
          content: {
            VpcPeeringConnections: [
              {
                VpcPeeringConnectionId: 'pcx-0x',
                Status: { Code: 'active', Message: 'Active' },
                RequesterVpcInfo: { VpcId: 'vpc-0aonly', OwnerId: A, Region: 'us-east-1', CidrBlock: '10.5.0.0/16' },
                AccepterVpcInfo: { VpcId: 'vpc-0eu', OwnerId: A, Region: 'eu-west-1', CidrBlock: '10.9.0.0/16' },
              },
            ],
          },
        },
      ]);
      const done = await ingest(t, runner, 'acme', h, { name: 'eu', source: 'aws_snapshot', input: eu });
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.result.scopes).toEqual([`aws_snapshot:${A}:eu-west-1`]);
      expect(done.counts.removed).toBe(0);
      expect(await nodeNames(t, h)).toEqual(expect.arrayContaining(['i-0a1', 'vpc-0aonly', 'vpc-0eu', 'pcx-0x']));
    });

    it('IAM documents cover the account’s global scope; a document without a region covers nothing', async () => {
      const { t, h, runner } = await setup(dialect);
      const role = (name: string) => ({
        RoleName: name,
        RoleId: `AROA${name.toUpperCase()}`,
        Arn: `arn:aws:iam::${A}:role/${name}`,
        Path: '/',
        CreateDate: '2026-01-01T00:00:00Z',
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
      });
      const first = await ingest(t, runner, 'acme', h, {
        name: 'iam',
        source: 'aws_snapshot',
        input: snapshot(A, 'us-east-1', [{ name: 'roles.json', content: { Roles: [role('r1'), role('r2')] } }]),
      });
      expect(first.result.scopes).toEqual([`aws_snapshot:${A}:global`]);

      // A flat folder without a region: its VPCs land in 'global' (with a warning) but it covers no scope.
      const regionless = await ingest(t, runner, 'acme', h, {
        name: 'flat',
        source: 'aws_snapshot',
        input: {
          account_id: A,
          documents: [{ name: 'vpcs.json', content: { Vpcs: [vpc('vpc-0x', '10.7.0.0/16', A)] } }],
        },
      });
      expect(regionless.status).toBe('succeeded');
      expect(regionless.result.scopes).toEqual([]);
      expect(regionless.counts.removed).toBe(0);

      // The roles' own account and service: r2 is gone.
      const second = await ingest(t, runner, 'acme', h, {
        name: 'iam',
        source: 'aws_snapshot',
        input: snapshot(A, 'eu-west-1', [{ name: 'roles.json', content: { Roles: [role('r1')] } }]),
      });
      expect(second.counts).toMatchObject({ unchanged: 1, removed: 1 });
      expect(await nodeNames(t, h)).toEqual([`${A}/r1`, 'vpc-0x']);
    });

    it("another service's output under a shared key (cognito list-users) covers nothing, even beside a read key", async () => {
      const { t, h, runner } = await setup(dialect);
      const iamRole = {
        RoleName: 'r1',
        RoleId: 'AROAR1',
        Arn: `arn:aws:iam::${A}:role/r1`,
        Path: '/',
        CreateDate: '2026-01-01T00:00:00Z',
      };
      await ingest(t, runner, 'acme', h, {
        name: 'iam',
        source: 'aws_snapshot',
        input: snapshot(A, 'us-east-1', [{ name: 'roles.json', content: { Roles: [iamRole] } }]),
      });
      const cognito = await ingest(t, runner, 'acme', h, {
        name: 'mixed',
        source: 'aws_snapshot',
        input: snapshot(A, 'us-east-1', [
          {
            name: 'mixed.json',
            content: {
              Users: [{ Username: 'alice', Attributes: [], UserCreateDate: '2026-01-01T00:00:00Z' }],
              Vpcs: [vpc('vpc-0m', '10.8.0.0/16', A)],
            },
          },
        ]),
      });
      expect(cognito.status, JSON.stringify(cognito.error)).toBe('succeeded');
      expect(cognito.result.scopes).toEqual([`aws_snapshot:${A}:us-east-1`]);
      expect(cognito.counts.removed).toBe(0);
      expect(await nodeNames(t, h)).toEqual([`${A}/r1`, 'vpc-0m']);
    });

    it('a NUL or lone surrogate in an ingested name or tag is stored as U+FFFD (PostgreSQL text cannot hold NUL)', async () => {
      const { t, h, runner } = await setup(dialect);
      const input = snapshot(A, 'us-east-1', [
        {
          name: 'vpcs.json',
          content: {
            Vpcs: [
              {
                ...vpc('vpc-0nul', '10.1.0.0/16', A),
                Tags: [
                  { Key: 'Name', Value: 'a\u0000b' },
                  { Key: 'env', Value: 'p\u0000' },
                  { Key: 'team', Value: 'x\ud800' },
                ],
              },
            ],
          },
        },
      ]);
      const job = await ingest(t, runner, 'acme', h, { name: 'nul', source: 'aws_snapshot', input });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      const res = await t.app.inject({
        url: `/api/v1/tenants/acme/nodes?tag.env=${encodeURIComponent('p\uFFFD')}`,
        headers: h,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.map((n: { name: string }) => n.name)).toEqual(['a\uFFFDb']);
      expect(res.json().data[0].tags.team).toBe('x\uFFFD');
    });

    it('a page of a longer listing (NextToken, IsTruncated) without its last page removes nothing of its scope', async () => {
      const { t, h, runner } = await setup(dialect);
      await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: ownerA });
      // `aws ec2 describe-vpcs --max-items 1`: the first page, with the token of the next one.
      const firstPage = snapshot(A, 'us-east-1', [
        ...ownerA.documents.filter((d) => d.name !== 'vpcs.json'),
        {
          name: 'vpcs.json',
          content: { Vpcs: [vpc('vpc-0shared', '10.0.0.0/16', A)], NextToken: 'eyJOZXh0VG9rZW4iOiBudWxsfQ==' },
        },
      ]);
      const partial = await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: firstPage });
      expect(partial.status, JSON.stringify(partial.error)).toBe('succeeded');
      expect(partial.result.scopes).toEqual([]);
      expect(partial.counts.removed).toBe(0);
      expect(partial.result.warnings).toContain(
        `document "vpcs.json": Vpcs is one page of a longer listing (it has a pagination token) and the last page is not in the input: nothing of aws_snapshot:${A}:us-east-1 is removed`,
      );
      expect(await nodeNames(t, h)).toContain('vpc-0aonly');

      // Every page, the last one without a token: a complete listing again.
      const allPages = snapshot(A, 'us-east-1', [
        ...firstPage.documents,
        { name: 'vpcs-2.json', content: { Vpcs: [] } },
      ]);
      const complete = await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: allPages });
      expect(complete.result.scopes).toEqual([`aws_snapshot:${A}:us-east-1`]);
      expect(complete.counts.removed).toBe(1);
      expect(await nodeNames(t, h)).not.toContain('vpc-0aonly');

      // IAM: `IsTruncated: true` with a Marker (list-roles --max-items), for the account's global scope.
      const role = (name: string) => ({
        RoleName: name,
        RoleId: `AROA${name}`,
        Arn: `arn:aws:iam::${A}:role/${name}`,
        Path: '/',
      });
      const roles = (list: unknown[], more: boolean) =>
        snapshot(A, 'us-east-1', [
          {
            name: 'roles.json',
            content: more ? { Roles: list, IsTruncated: true, Marker: 'm1' } : { Roles: list, IsTruncated: false },
          },
        ]);
      await ingest(t, runner, 'acme', h, {
        name: 'iam',
        source: 'aws_snapshot',
        input: roles([role('r1'), role('r2')], false),
      });
      const page = await ingest(t, runner, 'acme', h, {
        name: 'iam',
        source: 'aws_snapshot',
        input: roles([role('r1')], true),
      });
      expect(page.counts.removed).toBe(0);
      expect(await nodeNames(t, h)).toContain(`${A}/r2`);
    });

    it('a document given as JSON text covers its account and region like one given as an object', async () => {
      const { t, h, runner } = await setup(dialect);
      await ingest(t, runner, 'acme', h, { name: 'a', source: 'aws_snapshot', input: ownerA });
      const emptied = await ingest(t, runner, 'acme', h, {
        name: 'a',
        source: 'aws_snapshot',
        input: snapshot(A, 'us-east-1', [
          { name: 'instances.json', content: JSON.stringify({ Reservations: [] }) },
          { name: 'subnets.json', content: '{"Subnets": []}' },
          { name: 'vpcs.json', content: '{"Vpcs": []}' },
        ]),
      });
      expect(emptied.status, JSON.stringify(emptied.error)).toBe('succeeded');
      expect(emptied.result.scopes).toEqual([`aws_snapshot:${A}:us-east-1`]);
      expect(emptied.counts.removed).toBe(5);
      expect(await nodeNames(t, h)).toEqual([]);
    });
  });
}
