/** The rule engine over realistic nodes: what fails, why, what is skipped (unknown) and what is not counted. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { type JsonObject, type NodeInput, UNKNOWN } from '../../../src/core/inventory/types.ts';
import { evaluateRules, evaluateRulesInSteps, FRAMEWORKS, RULES, ruleById } from '../../../src/core/rules/index.ts';

const node = (type: string, name: string, attributes: JsonObject, extra: Partial<NodeInput> = {}): NodeInput => ({
  id: `aws:us-east-1:${type}:${name}`,
  provider: 'aws',
  type,
  account: '111111111111',
  region: 'us-east-1',
  name,
  native_id: name,
  tags: {},
  attributes,
  ...extra,
});

const sgRule = (protocol: string, from: number | null, to: number | null, cidrs: string[], ipv6: string[] = []) => ({
  protocol,
  from_port: from,
  to_port: to,
  cidrs,
  ipv6_cidrs: ipv6,
  prefix_list_ids: [],
  security_group_ids: [],
  description: null,
});

const sg = (id: string, ingress: unknown, extra: JsonObject = {}) =>
  node('aws.ec2.security_group', id, {
    group_id: id,
    group_name: `${id}-name`,
    vpc_id: 'vpc-1',
    ingress: ingress as JsonObject[],
    egress: [sgRule('-1', null, null, ['0.0.0.0/0'])],
    ...extra,
  });

/** The result of one rule over these nodes. */
function run(ruleId: string, nodes: NodeInput[]) {
  const rule = ruleById(ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  const r = evaluateRules(nodes, [], [rule]).results[0];
  if (!r) throw new Error('no result');
  return r;
}

describe('security group rules', () => {
  const web = sg('sg-0web', [
    sgRule('6', 443, 443, ['0.0.0.0/0']),
    sgRule('6', 80, 80, ['0.0.0.0/0'], ['::/0']),
    sgRule('6', 22, 22, ['0.0.0.0/0', '10.0.0.0/8']),
  ]);
  const internal = sg('sg-0int', [sgRule('6', 22, 22, ['10.0.0.0/8']), sgRule('6', 3389, 3389, ['192.168.0.0/16'])]);
  const wideOpen = sg('sg-0all', [sgRule('-1', null, null, [], ['::/0'])]);

  it('SSH from 0.0.0.0/0 fails with the exact rule index and source; private sources pass', () => {
    const r = run('aws.sg.ssh_open_to_internet', [web, internal, wideOpen]);
    expect(r.evaluated).toBe(3);
    expect(r.failures.map((f) => f.node_id)).toEqual([web.id]);
    const f = r.failures[0]!;
    expect(f.message).toBe(
      'security group sg-0web (sg-0web-name) allows tcp port 22 from 0.0.0.0/0 (ingress rule index 2: tcp port 22)',
    );
    expect(f.evidence).toMatchObject({
      group_id: 'sg-0web',
      exposures: [{ rule_index: 2, protocol: 'tcp', port: 22, source: '0.0.0.0/0' }],
    });
  });

  it('IPv6 rules see ::/0 only, and "all traffic" covers the admin ports', () => {
    expect(run('aws.sg.ssh_open_to_ipv6_internet', [web, internal, wideOpen]).failures.map((f) => f.node_id)).toEqual([
      wideOpen.id,
    ]);
    const rdp = run('aws.sg.rdp_open_to_ipv6_internet', [wideOpen]).failures[0]!;
    expect(rdp.message).toContain(
      'allows all traffic, including port 3389 from ::/0 (ingress rule index 0: all all ports)',
    );
    expect(run('aws.sg.rdp_open_to_internet', [web, internal, wideOpen]).failures).toEqual([]);
  });

  it('high-risk ports: a port range from the internet lists every high-risk port it covers', () => {
    const range = sg('sg-0rng', [sgRule('6', 3300, 3400, ['0.0.0.0/0'])]);
    const r = run('aws.sg.high_risk_ports_open_to_internet', [range, internal]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.evidence.exposures).toEqual([
      { rule_index: 0, protocol: 'tcp', port: 3306, source: '0.0.0.0/0', rule_ports: 'ports 3300-3400' },
      { rule_index: 0, protocol: 'tcp', port: 3389, source: '0.0.0.0/0', rule_ports: 'ports 3300-3400' },
    ]);
    expect(r.failures[0]!.message).toMatch(/port 3306 from 0\.0\.0\.0\/0 .* and 1 more$/);
  });

  it('a managed prefix list holding 0.0.0.0/0 or ::/0 exposes the rule as the CIDR would; others do not', () => {
    const list = (id: string, cidrs: unknown) =>
      node('aws.ec2.managed_prefix_list', id, { prefix_list_id: id, cidrs } as JsonObject);
    const viaList = (id: string, lists: string[]) => sg(id, [{ ...sgRule('6', 22, 22, []), prefix_list_ids: lists }]);
    const everyone = viaList('sg-0pl', ['pl-0all']);
    const office = viaList('sg-0office', ['pl-0office', 'pl-0unlisted']);
    const v6 = viaList('sg-0pl6', ['pl-0all6']);
    const planned = viaList('sg-0plan', ['pl-0plan']);
    const nodes = [
      list('pl-0all', ['10.0.0.0/8', '0.0.0.0/0']),
      list('pl-0office', ['203.0.113.0/24']),
      list('pl-0all6', ['::/0']),
      list('pl-0plan', UNKNOWN),
      everyone,
      office,
      v6,
      planned,
    ];
    const r = run('aws.sg.ssh_open_to_internet', nodes);
    expect(r.failures.map((f) => f.node_id)).toEqual([everyone.id]);
    expect(r.failures[0]!.message).toBe(
      'security group sg-0pl (sg-0pl-name) allows tcp port 22 from 0.0.0.0/0 (prefix list pl-0all) ' +
        '(ingress rule index 0: tcp port 22)',
    );
    expect(r.failures[0]!.evidence.exposures).toEqual([
      {
        rule_index: 0,
        protocol: 'tcp',
        port: 22,
        source: '0.0.0.0/0',
        prefix_list_id: 'pl-0all',
        rule_ports: 'port 22',
      },
    ]);
    expect(r.skipped_node_ids).toEqual([planned.id]);
    expect(run('aws.sg.ssh_open_to_ipv6_internet', nodes).failures.map((f) => f.node_id)).toEqual([v6.id]);
    expect(
      run('aws.sg.high_risk_ports_open_to_internet', nodes)
        .failures.map((f) => f.node_id)
        .sort(),
    ).toEqual([everyone.id, v6.id].sort());
  });

  it('values known only after apply are skipped, never failed; a known exposure still fails', () => {
    const planned = sg('sg-0plan', [sgRule('6', 22, 22, UNKNOWN as unknown as string[])]);
    const wholeUnknown = sg('sg-0unk', UNKNOWN);
    const mixed = sg('sg-0mix', [sgRule('6', 22, 22, ['0.0.0.0/0']), sgRule('6', 3389, 3389, UNKNOWN as never)]);
    const r = run('aws.sg.ssh_open_to_internet', [planned, wholeUnknown, mixed]);
    expect(r.failures.map((f) => f.node_id)).toEqual([mixed.id]);
    expect(r.skipped_node_ids.sort()).toEqual([planned.id, wholeUnknown.id].sort());
    expect(r.evaluated).toBe(1);
  });

  it('default security group: any rule fails it, none passes, other groups are not counted', () => {
    const dflt = sg('sg-0def', [sgRule('-1', null, null, [])], { group_name: 'default' });
    const clean = node('aws.ec2.security_group', 'sg-0def2', {
      group_id: 'sg-0def2',
      group_name: 'default',
      vpc_id: 'vpc-2',
      ingress: [],
      egress: [],
    });
    const r = run('aws.sg.default_group_allows_traffic', [dflt, clean, web]);
    expect(r.evaluated).toBe(2);
    expect(r.failures.map((f) => f.node_id)).toEqual([dflt.id]);
    expect(r.failures[0]!.message).toBe(
      'default security group sg-0def (default) of vpc-1 has 1 ingress and 1 egress rule(s); it should have none',
    );
  });
});

describe('network ACL rule', () => {
  const entry = (rule_number: number, action: string, cidr: string, port: [number, number] | null, protocol = '6') => ({
    rule_number,
    egress: false,
    protocol,
    action,
    cidr,
    ipv6_cidr: null,
    port_range: port ? { from: port[0], to: port[1] } : null,
    icmp: null,
  });
  it('the first entry whose source is the whole internet decides; a narrower deny before it does not', () => {
    const acl = node('aws.ec2.network_acl', 'acl-1', {
      network_acl_id: 'acl-1',
      vpc_id: 'vpc-1',
      is_default: false,
      subnet_ids: [],
      entries: [
        entry(90, 'deny', '0.0.0.0/0', [22, 22]),
        entry(95, 'deny', '203.0.113.0/24', [3389, 3389]),
        entry(100, 'allow', '0.0.0.0/0', null, '-1'),
        entry(32767, 'deny', '0.0.0.0/0', null, '-1'),
      ],
    });
    const closed = node('aws.ec2.network_acl', 'acl-2', {
      network_acl_id: 'acl-2',
      vpc_id: 'vpc-1',
      is_default: false,
      subnet_ids: [],
      entries: [entry(100, 'allow', '10.0.0.0/8', null, '-1'), entry(110, 'allow', '0.0.0.0/0', [443, 443])],
    });
    const r = run('aws.nacl.admin_ports_open_to_internet', [acl, closed]);
    expect(r.evaluated).toBe(2);
    expect(r.failures.map((f) => f.node_id)).toEqual([acl.id]);
    expect(r.failures[0]!.message).toBe('network ACL acl-1 allows tcp port 3389 from 0.0.0.0/0 (ingress rule 100)');
  });
});

describe('instance, database and bucket rules', () => {
  const instance = (name: string, attrs: JsonObject) =>
    node('aws.ec2.instance', name, { instance_id: name, state: 'running', public_ip: null, ...attrs });

  it('IMDSv2: optional fails, required passes, disabled endpoint passes, terminated is not counted, unknown skipped', () => {
    const r = run('aws.ec2.imdsv2_not_required', [
      instance('i-opt', { metadata_http_tokens: 'optional' }),
      instance('i-req', { metadata_http_tokens: 'required' }),
      instance('i-off', { metadata_http_tokens: 'optional', metadata_http_endpoint: 'disabled' }),
      instance('i-gone', { metadata_http_tokens: 'optional', state: 'terminated' }),
      instance('i-plan', { metadata_http_tokens: null, metadata_options: [UNKNOWN] as never }),
      // Terraform keeps the raw block too
      instance('i-tf', { metadata_http_tokens: null, metadata_options: [{ http_tokens: 'optional' }] }),
    ]);
    expect(r.failures.map((f) => f.node_name)).toEqual(['i-opt', 'i-tf']);
    expect(r.evaluated).toBe(4);
    expect(r.skipped_node_ids).toEqual([instance('i-plan', {}).id]);
    expect(r.failures[0]!.message).toBe('instance i-opt has metadata HttpTokens = optional: IMDSv1 is allowed');
  });

  it('RDS: public, unencrypted, short backups; Aurora backups are the cluster’s; missing settings skipped', () => {
    const db = (name: string, attrs: JsonObject) =>
      node('aws.rds.db_instance', `111111111111/${name}`, {
        db_instance_identifier: name,
        engine: 'postgres',
        ...attrs,
      });
    const nodes = [
      db('orders', { publicly_accessible: true, storage_encrypted: false, backup_retention_period: 1 }),
      db('billing', { publicly_accessible: false, storage_encrypted: true, backup_retention_period: 7 }),
      db('aurora-1', { engine: 'aurora-postgresql', publicly_accessible: false, backup_retention_period: 0 }),
    ];
    expect(run('aws.rds.publicly_accessible', nodes).failures.map((f) => f.message)).toEqual([
      'RDS instance orders is publicly accessible',
    ]);
    const enc = run('aws.rds.storage_not_encrypted', nodes);
    expect(enc.failures.map((f) => f.message)).toEqual(['RDS instance orders has storage_encrypted = false']);
    expect(enc.skipped_node_ids).toHaveLength(1); // aurora-1 does not say
    const backups = run('aws.rds.backup_retention_too_short', nodes);
    expect(backups.evaluated).toBe(2);
    expect(backups.failures.map((f) => f.message)).toEqual([
      'RDS instance orders keeps automated backups for 1 day(s), fewer than 7',
    ]);
    // Not recorded by the source at all: skipped, never failed.
    expect(run('aws.rds.auto_minor_version_upgrade_disabled', nodes).skipped_node_ids).toHaveLength(3);
  });

  it('an Aurora instance fails the same instance rules from a Terraform state as from describe-db-instances', () => {
    const tfResource = (type: string, name: string, attributes: Record<string, unknown>) => ({
      mode: 'managed',
      type,
      name,
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 0, attributes, sensitive_attributes: [] }],
    });
    const arn = 'arn:aws:rds:us-east-1:111111111111';
    const state = parseTerraformState({
      version: 4,
      terraform_version: '1.9.5',
      serial: 1,
      lineage: 'aurora',
      outputs: {},
      resources: [
        tfResource('aws_rds_cluster', 'orders', {
          id: 'orders',
          cluster_identifier: 'orders',
          arn: `${arn}:cluster:orders`,
          engine: 'aurora-postgresql',
          storage_encrypted: false,
        }),
        tfResource('aws_rds_cluster_instance', 'orders_1', {
          id: 'orders-1',
          identifier: 'orders-1',
          cluster_identifier: 'orders',
          arn: `${arn}:db:orders-1`,
          engine: 'aurora-postgresql',
          publicly_accessible: true,
          auto_minor_version_upgrade: false,
          endpoint: 'orders-1.c0abc.us-east-1.rds.amazonaws.com',
        }),
      ],
    });
    const snapshot = parseAwsSnapshot({
      account_id: '111111111111',
      region: 'us-east-1',
      documents: [
        {
          name: 'rds-db-instances.json',
          content: {
            DBInstances: [
              {
                DBInstanceIdentifier: 'orders-1',
                DBClusterIdentifier: 'orders',
                DBInstanceArn: `${arn}:db:orders-1`,
                Engine: 'aurora-postgresql',
                DBInstanceStatus: 'available',
                PubliclyAccessible: true,
                StorageEncrypted: false,
                AutoMinorVersionUpgrade: false,
                Endpoint: { Address: 'orders-1.c0abc.us-east-1.rds.amazonaws.com', Port: 5432 },
              },
            ],
          },
        },
      ],
    });
    const failing = (nodes: NodeInput[]) =>
      evaluateRules(nodes, [])
        .results.filter((r) => r.rule_id.startsWith('aws.rds.'))
        .flatMap((r) => r.failures.map((f) => [r.rule_id, f.message]));
    const expected = [
      ['aws.rds.auto_minor_version_upgrade_disabled', 'RDS instance orders-1 has auto_minor_version_upgrade = false'],
      ['aws.rds.publicly_accessible', 'RDS instance orders-1 is publicly accessible'],
      ['aws.rds.storage_not_encrypted', 'RDS instance orders-1 has storage_encrypted = false'],
    ];
    expect(failing(snapshot.nodes)).toEqual(expected);
    expect(failing(state.nodes)).toEqual(expected);
  });

  it('S3 public access: a bucket-level setting off fails unless the account’s block turns that setting on', () => {
    const bucket = (name: string, account = '111111111111') =>
      node('aws.s3.bucket', name, { bucket: name }, { region: 'global', account });
    const block = (b: string, flags: boolean[]) =>
      node('aws.s3.bucket_public_access_block', b, {
        bucket: b,
        block_public_acls: flags[0]!,
        block_public_policy: flags[1]!,
        ignore_public_acls: flags[2]!,
        restrict_public_buckets: flags[3]!,
      });
    const nodes = [
      bucket('logs'),
      block('logs', [true, false, true, false]),
      bucket('assets'),
      block('assets', [true, true, true, true]),
      bucket('legacy'),
      bucket('other-account', '222222222222'),
      block('other-account', [false, false, false, false]),
      node(
        'aws.s3.account_public_access_block',
        '222222222222',
        {
          account_id: '222222222222',
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        },
        { account: '222222222222' },
      ),
    ];
    const r = run('aws.s3.public_access_not_blocked', nodes);
    expect(r.failures.map((f) => f.message)).toEqual([
      'bucket logs has public access block settings turned off: block_public_policy, restrict_public_buckets',
    ]);
    expect(r.evaluated).toBe(3);
    expect(r.skipped_node_ids).toEqual([bucket('legacy').id]);

    // S3 applies a setting either block turns on: the account's two and the bucket's other two block all four.
    const account = (id: string, flags: boolean[]) =>
      node(
        'aws.s3.account_public_access_block',
        id,
        {
          account_id: id,
          block_public_acls: flags[0]!,
          block_public_policy: flags[1]!,
          ignore_public_acls: flags[2]!,
          restrict_public_buckets: flags[3]!,
        },
        { account: id },
      );
    const split = run('aws.s3.public_access_not_blocked', [
      account('333333333333', [true, false, true, false]),
      bucket('split', '333333333333'),
      block('split', [false, true, false, true]),
      bucket('half', '333333333333'),
      block('half', [false, false, false, true]),
    ]);
    expect(split.evaluated).toBe(2);
    expect(split.failures.map((f) => [f.node_name, f.evidence.settings_off])).toEqual([
      ['half', ['block_public_policy']],
    ]);
  });
});

describe('S3 TLS rule', () => {
  const bucket = (name: string, policy: unknown) =>
    node('aws.s3.bucket', name, { bucket: name, policy: JSON.stringify(policy) }, { region: 'global' });
  const deny = (o: Record<string, unknown>) => ({
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    ...o,
  });
  const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

  it('passes only when every principal is denied every S3 action over HTTP on the bucket and all its objects', () => {
    const nodes = [
      bucket('full', policy(deny({ Resource: ['arn:aws:s3:::full', 'arn:aws:s3:::full/*'] }))),
      bucket('split', policy(deny({ Resource: 'arn:aws:s3:::split' }), deny({ Resource: 'arn:aws:s3:::split/*' }))),
      bucket('star', policy(deny({ Principal: { AWS: '*' }, Action: '*', Resource: '*' }))),
      bucket('puts', policy(deny({ Action: 's3:PutObject', Resource: ['arn:aws:s3:::puts', 'arn:aws:s3:::puts/*'] }))),
      bucket(
        'role',
        policy(
          deny({
            Principal: { AWS: 'arn:aws:iam::111111111111:role/app' },
            Resource: ['arn:aws:s3:::role', 'arn:aws:s3:::role/*'],
          }),
        ),
      ),
      bucket('prefix', policy(deny({ Resource: ['arn:aws:s3:::prefix', 'arn:aws:s3:::prefix/logs/*'] }))),
      bucket('objects', policy(deny({ Resource: 'arn:aws:s3:::objects/*' }))),
    ];
    const r = run('aws.s3.insecure_transport_allowed', nodes);
    expect(r.evaluated).toBe(7);
    expect(r.failures.map((f) => f.node_name)).toEqual(['puts', 'role', 'prefix', 'objects']);
    expect(r.failures[0]!.message).toBe(
      'bucket puts’s policy denies requests with aws:SecureTransport = false only to some principals, actions ' +
        'or resources (statement index 0); plain HTTP stays allowed for the rest',
    );
    expect(r.failures[0]!.evidence).toEqual({ bucket: 'puts', has_policy: true, partial_statement_indexes: [0] });
  });
});

describe('EBS volume encryption', () => {
  it('a Terraform instance’s unencrypted root or EBS block device fails as the volume does in a snapshot', () => {
    const tfInstance = (name: string, attrs: JsonObject) =>
      node('aws.ec2.instance', name, { instance_id: name, state: 'running', ...attrs });
    const device = (volume_id: unknown, encrypted: unknown, device_name?: string) =>
      ({ volume_id, encrypted, ...(device_name ? { device_name } : {}) }) as JsonObject;
    const nodes = [
      tfInstance('i-plain', {
        root_block_device: [device('vol-0root', false)],
        ebs_block_device: [device('vol-0data', false, '/dev/sdf'), device('vol-0enc', true, '/dev/sdg')],
      }),
      tfInstance('i-enc', { root_block_device: [device('vol-0ok', true)], ebs_block_device: [] }),
      tfInstance('i-plan', { root_block_device: [device(UNKNOWN, UNKNOWN)], ebs_block_device: [] }),
      // Its root volume is a node of its own (describe-volumes): judged there, not twice.
      tfInstance('i-both', { root_block_device: [device('vol-0node', false)], ebs_block_device: [] }),
      node('aws.ec2.volume', 'vol-0node', { volume_id: 'vol-0node', encrypted: false }),
      // A snapshot's instance has no block devices: its volumes are nodes.
      tfInstance('i-snap', { metadata_http_tokens: 'required' }),
    ];
    const r = run('aws.ebs.volume_not_encrypted', nodes);
    expect(r.failures.map((f) => [f.node_name, f.message])).toEqual([
      ['vol-0node', 'EBS volume vol-0node is not encrypted'],
      ['i-plain', 'instance i-plain has unencrypted EBS volume(s): vol-0root (root), vol-0data (/dev/sdf)'],
    ]);
    expect(r.failures[1]!.evidence.unencrypted_volumes).toEqual([
      { volume_id: 'vol-0root', device: 'root' },
      { volume_id: 'vol-0data', device: '/dev/sdf' },
    ]);
    expect(r.skipped_node_ids).toEqual([nodes[2]!.id]);
    expect(r.evaluated_by_type).toEqual({ 'aws.ec2.instance': 2, 'aws.ec2.volume': 1 });
  });
});

describe('EBS encryption by default', () => {
  it('a region where it is off fails, on passes, unknown (plans) or unrecorded is skipped', () => {
    const setting = (region: string, enabled: unknown) =>
      node('aws.ebs.encryption_by_default', `111111111111/${region}`, { enabled } as JsonObject, { region });
    const r = run('aws.ebs.encryption_by_default_disabled', [
      setting('us-east-1', false),
      setting('eu-west-1', true),
      setting('eu-central-1', UNKNOWN),
      setting('ap-south-1', null),
    ]);
    expect(r.failures.map((f) => [f.message, f.evidence])).toEqual([
      [
        'EBS encryption by default is off in us-east-1 of account 111111111111',
        { enabled: false, region: 'us-east-1', account: '111111111111' },
      ],
    ]);
    expect(r.evaluated).toBe(2);
    expect(r.skipped_node_ids).toHaveLength(2);
    // It backs the account-level controls: CIS 2.2.1 beside the volumes' rule, and FSBP EC2.7.
    expect(ruleById('aws.ebs.encryption_by_default_disabled')?.controls).toEqual([
      { framework: 'cis-aws-foundations', control: '2.2.1' },
      { framework: 'aws-fsbp', control: 'EC2.7' },
    ]);
  });
});

describe('a real Terraform state (test/fixtures/terraform/two-tier.tfstate)', () => {
  const state = JSON.parse(
    readFileSync(new URL('../../fixtures/terraform/two-tier.tfstate', import.meta.url), 'utf8'),
  ) as unknown;
  const inv = parseTerraformState(state);
  const result = evaluateRules(inv.nodes, inv.edges);
  const failing = (id: string) => result.results.find((r) => r.rule_id === id)?.failures.map((f) => f.message) ?? [];

  it('finds what is wrong in it, with the ingested ids', () => {
    expect(failing('aws.ec2.instance_has_public_ip')).toEqual([
      'instance web-01 (i-0a1b2c3d4e5f60091) has public IPv4 address 3.91.20.30',
    ]);
    expect(failing('aws.sg.default_group_allows_traffic')).toHaveLength(1);
    expect(failing('aws.ec2.subnet_auto_assigns_public_ip')).toEqual([
      'subnet public-a (subnet-0a1b2c3d4e5f60011) has map_public_ip_on_launch = true',
    ]);
    expect(failing('aws.sg.ssh_open_to_internet')).toEqual([]);
    expect(result.resources_evaluated).toBeGreaterThan(5);
  });
});

describe('the catalogue', () => {
  it('has unique ids, and every control it names exists, and every control has a rule', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(RULES.length).toBeGreaterThanOrEqual(15);
    for (const r of RULES) {
      expect(r.id).toMatch(/^aws\.[a-z0-9]+\.[a-z0-9_]+$/);
      expect(r.controls.length, r.id).toBeGreaterThan(0);
      for (const c of r.controls) {
        const fw = FRAMEWORKS.find((f) => f.id === c.framework);
        expect(
          fw?.controls.some((x) => x.id === c.control),
          `${r.id} → ${c.framework} ${c.control}`,
        ).toBe(true);
      }
    }
    for (const fw of FRAMEWORKS)
      for (const c of fw.controls)
        expect(
          RULES.some((r) => r.controls.some((x) => x.framework === fw.id && x.control === c.id)),
          `${fw.id} ${c.id} has no rule`,
        ).toBe(true);
  });

  it('docs/findings.md lists every rule (run `npm run docs:rules`)', async () => {
    const { rulesDoc } = await import('../../../scripts/rules-doc.ts');
    const doc = readFileSync(new URL('../../../docs/findings.md', import.meta.url), 'utf8');
    expect(doc).toContain(rulesDoc());
    for (const r of RULES) expect(doc).toContain(`\`${r.id}\``);
  });
});

describe('evaluation in steps', () => {
  it('pauses between slices of checks and returns exactly what evaluateRules returns', () => {
    const nodes: NodeInput[] = Array.from({ length: 300 }, (_, i) =>
      sg(`sg-${i}`, [sgRule('6', 22, 22, [i % 3 ? '10.0.0.0/8' : '0.0.0.0/0'])]),
    );
    const steps = evaluateRulesInSteps(nodes, [], RULES, 100);
    let pauses = 0;
    let step = steps.next();
    while (!step.done) {
      pauses++;
      step = steps.next();
    }
    expect(pauses).toBeGreaterThan(5);
    const whole = evaluateRules(nodes, []);
    expect(step.value.results).toEqual(whole.results);
    expect(step.value.resources_evaluated).toBe(whole.resources_evaluated);
    expect(whole.results.find((r) => r.rule_id === 'aws.sg.ssh_open_to_internet')?.failures.length).toBe(100);
  });
});
