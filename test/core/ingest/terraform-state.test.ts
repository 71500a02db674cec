import { describe, expect, it } from 'vitest';
import { IngestError, parseAwsSnapshot, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { nodeId } from '../../../src/core/inventory/types.ts';
import { edgeStrings, hasEdge, nodeById, readJson, snapshotFromFolder } from './helpers.ts';

const E = 'us-east-1';
const id = (type: string, key: string, region = E) => nodeId('aws', region, type, key);

describe('terraform_state: raw .tfstate (v4) of the two-tier VPC', () => {
  const inv = parseTerraformState(readJson('terraform/two-tier.tfstate'));

  it('makes nodes of managed cloud resources only (data sources and random_* skipped)', () => {
    expect(inv.nodes.map((n) => n.id).sort()).toEqual(
      [
        id('aws.ec2.vpc', 'vpc-0a1b2c3d4e5f60001'),
        id('aws.ec2.subnet', 'subnet-0a1b2c3d4e5f60011'),
        id('aws.ec2.subnet', 'subnet-0a1b2c3d4e5f60012'),
        id('aws.ec2.internet_gateway', 'igw-0a1b2c3d4e5f60021'),
        id('aws.ec2.elastic_ip', 'eipalloc-0a1b2c3d4e5f60051'),
        id('aws.ec2.nat_gateway', 'nat-0a1b2c3d4e5f60031'),
        id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60061'),
        id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60062'),
        id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60071'),
        id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60072'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60080'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60081'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60082'),
        id('aws.ec2.instance', 'i-0a1b2c3d4e5f60091'),
        id('aws.ec2.instance', 'i-0a1b2c3d4e5f60092'),
        'aws:global:aws.iam.role:111111111111/web-role',
        'aws:global:aws.iam.instance_profile:111111111111/web-profile',
        'aws:global:aws.iam.role_policy_attachment:web-role-20240301100006',
        'aws:global:aws.s3.bucket:shop-assets-111111111111',
        'aws:us-east-1:aws.cloudwatch.log_group:/shop/app',
      ].sort(),
    );
    expect(inv.skipped_documents).toEqual([]);
  });

  it('gives a resource the same id, name and account from the state as from an AWS snapshot', () => {
    const snapshot = parseAwsSnapshot(snapshotFromFolder('aws-snapshot/two-tier'));
    const ec2 = inv.nodes.filter((n) => n.type.startsWith('aws.ec2.'));
    expect(ec2.length).toBe(15);
    for (const node of ec2) {
      const twin = snapshot.nodes.find((n) => n.id === node.id);
      expect(twin, node.id).toBeDefined();
      expect([node.name, node.account, node.native_id]).toEqual([twin?.name, twin?.account, twin?.native_id]);
    }
  });

  it('maps a for_each instance in a module, filling what Terraform leaves implicit', () => {
    const web = nodeById(inv, id('aws.ec2.instance', 'i-0a1b2c3d4e5f60091'));
    expect(web).toMatchObject({
      name: 'web-01',
      account: '111111111111',
      native_id: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a1b2c3d4e5f60091',
      tags: { Name: 'web-01', app: 'shop', env: 'prod', 'managed-by': 'terraform' },
    });
    expect(web.attributes).toMatchObject({
      terraform_address: 'module.app.aws_instance.this["web-01"]',
      instance_id: 'i-0a1b2c3d4e5f60091',
      state: 'running',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      subnet_id: 'subnet-0a1b2c3d4e5f60011',
      private_ip: '10.0.1.10',
      public_ip: '3.91.20.30',
      security_group_ids: ['sg-0a1b2c3d4e5f60081'],
      network_interface_ids: [],
      instance_type: 't3.micro',
      image_id: 'ami-0c02fb55956c7d316',
      iam_instance_profile_arn: 'arn:aws:iam::111111111111:instance-profile/web-profile',
      metadata_http_tokens: 'required',
      metadata_http_endpoint: 'enabled',
      root_volume_encrypted: true,
      // raw Terraform attributes are kept too
      primary_network_interface_id: 'eni-0a1b2c3d4e5f60042',
    });
    expect(web.attributes).not.toHaveProperty('tags');
    expect(web.attributes).not.toHaveProperty('user_data');
    expect(nodeById(inv, id('aws.ec2.instance', 'i-0a1b2c3d4e5f60092')).attributes.public_ip).toBeNull();
  });

  it('merges separate SG rule resources into their group without duplicating what the group already lists', () => {
    const db = nodeById(inv, id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60082'));
    expect(db.attributes.ingress).toEqual([
      {
        protocol: '6',
        from_port: 5432,
        to_port: 5432,
        cidrs: [],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: ['sg-0a1b2c3d4e5f60081'],
        description: 'web tier',
      },
    ]);
    expect(db.attributes.egress).toEqual([
      {
        protocol: '-1',
        from_port: null,
        to_port: null,
        cidrs: ['0.0.0.0/0'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
        description: null,
      },
    ]);
    const def = nodeById(inv, id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60080'));
    expect((def.attributes.ingress as unknown[])[0]).toMatchObject({
      protocol: '-1',
      security_group_ids: ['sg-0a1b2c3d4e5f60080'],
    });
  });

  it('normalises NACL blocks and rule resources (tcp → 6, all → null ports)', () => {
    const acl = nodeById(inv, id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60072'));
    expect(acl.attributes).toMatchObject({
      network_acl_id: 'acl-0a1b2c3d4e5f60072',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      is_default: false,
      subnet_ids: ['subnet-0a1b2c3d4e5f60012'],
      entries: [
        {
          rule_number: 100,
          egress: false,
          protocol: '6',
          action: 'allow',
          cidr: '10.0.1.0/24',
          ipv6_cidr: null,
          port_range: { from: 5432, to: 5432 },
          icmp: null,
        },
        {
          rule_number: 110,
          egress: false,
          protocol: '6',
          action: 'allow',
          cidr: '0.0.0.0/0',
          ipv6_cidr: null,
          port_range: { from: 1024, to: 65535 },
          icmp: null,
        },
        {
          rule_number: 100,
          egress: true,
          protocol: '-1',
          action: 'allow',
          cidr: '0.0.0.0/0',
          ipv6_cidr: null,
          port_range: null,
          icmp: null,
        },
      ],
    });
    expect(nodeById(inv, id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60071')).attributes).toMatchObject({
      is_default: true,
      subnet_ids: ['subnet-0a1b2c3d4e5f60011'],
    });
  });

  it('builds route tables from inline routes, aws_route and associations, adding the local route', () => {
    const rt = nodeById(inv, id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60062'));
    expect(rt.attributes).toMatchObject({
      route_table_id: 'rtb-0a1b2c3d4e5f60062',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      main: false,
      subnet_ids: ['subnet-0a1b2c3d4e5f60012'],
      gateway_ids: [],
      routes: [
        {
          destination_cidr: '10.0.0.0/16',
          destination_ipv6_cidr: null,
          destination_prefix_list_id: null,
          target_type: 'local',
          target_id: 'local',
          state: 'active',
          origin: 'CreateRouteTable',
        },
        {
          destination_cidr: '0.0.0.0/0',
          destination_ipv6_cidr: null,
          destination_prefix_list_id: null,
          target_type: 'nat_gateway',
          target_id: 'nat-0a1b2c3d4e5f60031',
          state: 'active',
          origin: 'CreateRouteTable',
        },
      ],
    });
    expect(rt.attributes).not.toHaveProperty('route');
  });

  it('gives regionless resources (NAT gateway) the region and a constructed ARN of what they sit in', () => {
    const nat = nodeById(inv, id('aws.ec2.nat_gateway', 'nat-0a1b2c3d4e5f60031'));
    expect(nat.native_id).toBe('arn:aws:ec2:us-east-1:111111111111:natgateway/nat-0a1b2c3d4e5f60031');
    expect(nat.attributes).toMatchObject({
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      subnet_id: 'subnet-0a1b2c3d4e5f60011',
      connectivity_type: 'public',
    });
  });

  it('derives the same network edges as the snapshot, plus depends_on from dependencies', () => {
    expect(edgeStrings(inv, (e) => e.type !== 'depends_on')).toEqual(
      [
        'contains vpc-0a1b2c3d4e5f60001 -> subnet-0a1b2c3d4e5f60011',
        'contains vpc-0a1b2c3d4e5f60001 -> subnet-0a1b2c3d4e5f60012',
        'contains vpc-0a1b2c3d4e5f60001 -> rtb-0a1b2c3d4e5f60061',
        'contains vpc-0a1b2c3d4e5f60001 -> rtb-0a1b2c3d4e5f60062',
        'contains vpc-0a1b2c3d4e5f60001 -> acl-0a1b2c3d4e5f60071',
        'contains vpc-0a1b2c3d4e5f60001 -> acl-0a1b2c3d4e5f60072',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60080',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60081',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60082',
        'contains subnet-0a1b2c3d4e5f60011 -> nat-0a1b2c3d4e5f60031',
        'contains subnet-0a1b2c3d4e5f60011 -> i-0a1b2c3d4e5f60091',
        'contains subnet-0a1b2c3d4e5f60012 -> i-0a1b2c3d4e5f60092',
        'attached_to igw-0a1b2c3d4e5f60021 -> vpc-0a1b2c3d4e5f60001',
        'member_of subnet-0a1b2c3d4e5f60011 -> rtb-0a1b2c3d4e5f60061',
        'member_of subnet-0a1b2c3d4e5f60012 -> rtb-0a1b2c3d4e5f60062',
        'member_of subnet-0a1b2c3d4e5f60011 -> acl-0a1b2c3d4e5f60071',
        'member_of subnet-0a1b2c3d4e5f60012 -> acl-0a1b2c3d4e5f60072',
        'member_of i-0a1b2c3d4e5f60091 -> sg-0a1b2c3d4e5f60081',
        'member_of i-0a1b2c3d4e5f60092 -> sg-0a1b2c3d4e5f60082',
        'routes_to rtb-0a1b2c3d4e5f60061 -> igw-0a1b2c3d4e5f60021',
        'routes_to rtb-0a1b2c3d4e5f60062 -> nat-0a1b2c3d4e5f60031',
        'allows_traffic_from sg-0a1b2c3d4e5f60080 -> sg-0a1b2c3d4e5f60080',
        'allows_traffic_from sg-0a1b2c3d4e5f60082 -> sg-0a1b2c3d4e5f60081',
        'uses i-0a1b2c3d4e5f60091 -> 111111111111/web-profile',
        'uses 111111111111/web-profile -> 111111111111/web-role',
      ].sort(),
    );
    const natId = id('aws.ec2.nat_gateway', 'nat-0a1b2c3d4e5f60031');
    expect(
      inv.edges
        .filter((e) => e.type === 'depends_on' && e.source_id === natId)
        .map((e) => e.target_id)
        .sort(),
    ).toEqual(
      [
        id('aws.ec2.elastic_ip', 'eipalloc-0a1b2c3d4e5f60051'),
        id('aws.ec2.internet_gateway', 'igw-0a1b2c3d4e5f60021'),
        id('aws.ec2.subnet', 'subnet-0a1b2c3d4e5f60011'),
        id('aws.ec2.vpc', 'vpc-0a1b2c3d4e5f60001'),
      ].sort(),
    );
    // a rule resource's dependencies belong to the group it was merged into
    expect(
      hasEdge(
        inv,
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60082'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60081'),
        'depends_on',
      ),
    ).toBe(true);
  });

  it('warns about what it skipped and about references outside the state', () => {
    expect(inv.warnings.sort()).toEqual(
      [
        'aws.ec2.elastic_ip arn:aws:ec2:us-east-1:111111111111:elastic-ip/eipalloc-0a1b2c3d4e5f60051 references eni-0a1b2c3d4e5f60041 (network_interface_id), which is not in the input',
        'aws.ec2.nat_gateway arn:aws:ec2:us-east-1:111111111111:natgateway/nat-0a1b2c3d4e5f60031 references eni-0a1b2c3d4e5f60041 (network_interface_id), which is not in the input',
        'skipped resources of non-cloud providers (random: 1)',
      ].sort(),
    );
  });
});

describe('terraform_state: terraform show -json, several regions, modules, count and other clouds', () => {
  const inv = parseTerraformState(readJson('terraform/multi-region.show.json'));
  const W = 'us-west-2';

  it('reports nothing unexpected', () => {
    expect(inv.warnings).toEqual([]);
    expect(inv.nodes).toHaveLength(33);
  });

  it('places each module instance’s resources in their own region, known by native id', () => {
    const subnet = nodeById(inv, id('aws.ec2.subnet', 'subnet-0f1a2b3c4d5e6f711', W));
    expect(subnet).toMatchObject({
      name: 'west-private-1',
      region: W,
      tags: { Name: 'west-private-1', owner: 'platform' },
    });
    expect(subnet.attributes.terraform_address).toBe('module.network["west"].aws_subnet.private[1]');
    expect(nodeById(inv, id('aws.ec2.instance', 'i-0c3d4e5f6a7b800a1')).attributes.terraform_address).toBe(
      'aws_instance.api[1]',
    );
    expect(nodeById(inv, id('aws.lambda.function', '333333333333/worker', W)).native_id).toBe(
      'arn:aws:lambda:us-west-2:333333333333:function:worker',
    );
  });

  it('merges a peering and its accepter into one node identified in the requester’s region', () => {
    const pcx = inv.nodes.filter((n) => n.type === 'aws.ec2.vpc_peering_connection');
    expect(pcx.map((n) => n.id)).toEqual([id('aws.ec2.vpc_peering_connection', 'pcx-0c3d4e5f6a7b80001')]);
    expect(pcx[0]?.attributes).toMatchObject({
      vpc_peering_connection_id: 'pcx-0c3d4e5f6a7b80001',
      status: 'active',
      requester: { vpc_id: 'vpc-0e1a2b3c4d5e6f701', owner_id: '333333333333', region: E, cidr_blocks: ['10.1.0.0/16'] },
      accepter: { vpc_id: 'vpc-0f1a2b3c4d5e6f701', owner_id: '333333333333', region: W, cidr_blocks: ['10.2.0.0/16'] },
    });
    const east = id('aws.ec2.vpc', 'vpc-0e1a2b3c4d5e6f701');
    const west = id('aws.ec2.vpc', 'vpc-0f1a2b3c4d5e6f701', W);
    expect(hasEdge(inv, east, west, 'peers_with')).toBe(true);
    expect(hasEdge(inv, west, east, 'peers_with')).toBe(true);
    expect(hasEdge(inv, id('aws.ec2.route_table', 'rtb-0f1a2b3c4d5e6f701', W), pcx[0]?.id as string, 'routes_to')).toBe(
      true,
    );
  });

  it('merges TGW routes, associations and propagations into the route table', () => {
    const rt = nodeById(inv, id('aws.ec2.transit_gateway_route_table', 'tgw-rtb-0c3d4e5f6a7b80002'));
    expect(rt.attributes).toMatchObject({
      transit_gateway_id: 'tgw-0c3d4e5f6a7b80001',
      association_attachment_ids: ['tgw-attach-0c3d4e5f6a7b80001'],
      propagation_attachment_ids: ['tgw-attach-0c3d4e5f6a7b80001'],
      routes: [
        {
          destination_cidr: '10.1.0.0/16',
          prefix_list_id: null,
          type: 'static',
          state: 'active',
          attachment_ids: ['tgw-attach-0c3d4e5f6a7b80001'],
        },
        {
          destination_cidr: '10.99.0.0/16',
          prefix_list_id: null,
          type: 'static',
          state: 'blackhole',
          attachment_ids: [],
        },
      ],
    });
    expect(
      nodeById(inv, id('aws.ec2.transit_gateway_attachment', 'tgw-attach-0c3d4e5f6a7b80001')).attributes,
    ).toMatchObject({
      transit_gateway_id: 'tgw-0c3d4e5f6a7b80001',
      resource_type: 'vpc',
      resource_id: 'vpc-0e1a2b3c4d5e6f701',
      association_route_table_id: 'tgw-rtb-0c3d4e5f6a7b80002',
      subnet_ids: ['subnet-0e1a2b3c4d5e6f710', 'subnet-0e1a2b3c4d5e6f711'],
    });
  });

  it('merges prefix list entries and VPN routes, and drops every secret', () => {
    expect(nodeById(inv, id('aws.ec2.managed_prefix_list', 'pl-0c3d4e5f6a7b80001')).attributes.cidrs).toEqual([
      '198.51.100.0/24',
      '203.0.113.0/24',
      '192.0.2.0/24',
    ]);
    const vpn = nodeById(inv, id('aws.ec2.vpn_connection', 'vpn-0c3d4e5f6a7b80001'));
    expect(vpn.attributes).toMatchObject({
      vpn_gateway_id: 'vgw-0c3d4e5f6a7b80001',
      customer_gateway_id: 'cgw-0c3d4e5f6a7b80001',
      static_routes_only: true,
      routes: [{ destination_cidr: '192.168.0.0/16', state: 'available' }],
    });
    const text = JSON.stringify(inv);
    for (const secret of ['k3y', 's3cr3t-pa55', 'tok_live_abc']) expect(text).not.toContain(secret);
    const db = nodeById(inv, id('aws.rds.db_instance', '333333333333/orders-db'));
    expect(db.attributes).not.toHaveProperty('password');
    expect(db.attributes).toMatchObject({
      vpc_id: 'vpc-0e1a2b3c4d5e6f701',
      subnet_ids: ['subnet-0e1a2b3c4d5e6f710', 'subnet-0e1a2b3c4d5e6f711'],
      security_group_ids: ['sg-0e1a2b3c4d5e6f701'],
      storage_encrypted: true,
      endpoint_port: 5432,
    });
    const fn = nodeById(inv, id('aws.lambda.function', '333333333333/worker', W));
    expect(fn.attributes.environment).toEqual([
      { variables: { QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/333333333333/jobs' } },
    ]);
  });

  it('normalises inline SG rules (icmp type/code kept, -1 → all ports)', () => {
    expect(nodeById(inv, id('aws.ec2.security_group', 'sg-0e1a2b3c4d5e6f701')).attributes).toMatchObject({
      ingress: [
        {
          protocol: '6',
          from_port: 8080,
          to_port: 8080,
          cidrs: ['10.2.0.0/16'],
          ipv6_cidrs: [],
          prefix_list_ids: [],
          security_group_ids: [],
          description: 'from the peer VPC',
        },
        {
          protocol: '1',
          from_port: 8,
          to_port: -1,
          cidrs: [],
          ipv6_cidrs: [],
          prefix_list_ids: ['pl-0c3d4e5f6a7b80001'],
          security_group_ids: [],
          description: 'ICMP echo from the corporate network',
        },
      ],
      egress: [
        {
          protocol: '-1',
          from_port: null,
          to_port: null,
          cidrs: ['0.0.0.0/0'],
          ipv6_cidrs: ['::/0'],
          prefix_list_ids: [],
          security_group_ids: [],
          description: null,
        },
      ],
    });
  });

  it('links the load balancer to its listener, target group and targets', () => {
    const lbId = id('aws.elbv2.load_balancer', '333333333333/api');
    expect(nodeById(inv, lbId).attributes).toMatchObject({
      load_balancer_name: 'api',
      scheme: 'internet-facing',
      type: 'application',
      subnet_ids: ['subnet-0e1a2b3c4d5e6f720', 'subnet-0e1a2b3c4d5e6f721'],
      listeners: [{ port: 443, protocol: 'HTTPS' }],
      target_ids: ['i-0c3d4e5f6a7b800a0', 'i-0c3d4e5f6a7b800a1'],
      targets: [
        { id: 'i-0c3d4e5f6a7b800a0', port: 8080 },
        { id: 'i-0c3d4e5f6a7b800a1', port: 8080 },
      ],
    });
    expect(hasEdge(inv, lbId, id('aws.ec2.instance', 'i-0c3d4e5f6a7b800a0'), 'targets')).toBe(true);
    expect(hasEdge(inv, lbId, id('aws.elbv2.target_group', '333333333333/api'), 'targets')).toBe(true);
  });

  it('maps azurerm and google resources with their tags / labels', () => {
    const vnet = inv.nodes.find((n) => n.type === 'azure.virtual_network');
    expect(vnet).toMatchObject({
      id: 'azure:westeurope:azure.virtual_network:/subscriptions/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0/resourceGroups/shop-rg/providers/Microsoft.Network/virtualNetworks/shop-vnet',
      provider: 'azure',
      account: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      region: 'westeurope',
      name: 'shop-vnet',
      tags: { env: 'prod' },
    });
    expect(inv.nodes.find((n) => n.type === 'azure.resource_group')?.region).toBe('westeurope');
    const vm = inv.nodes.find((n) => n.type === 'google.compute.instance');
    expect(vm).toMatchObject({
      id: 'google:europe-west1:google.compute.instance:projects/shop-prod/zones/europe-west1-b/instances/bastion',
      account: 'shop-prod',
      name: 'bastion',
      tags: { team: 'ops', 'goog-terraform-provisioned': 'true' },
    });
  });

  it('links IAM trust and execution roles', () => {
    const exec = 'aws:global:aws.iam.role:333333333333/worker-exec';
    expect(hasEdge(inv, 'aws:global:aws.iam.role:333333333333/deployer', exec, 'assumes')).toBe(true);
    expect(hasEdge(inv, id('aws.lambda.function', '333333333333/worker', W), exec, 'assumes')).toBe(true);
    expect(nodeById(inv, exec).attributes.trusted_principals).toEqual([
      'arn:aws:iam::333333333333:role/deployer',
      'lambda.amazonaws.com',
    ]);
  });
});

describe('terraform_state: regions, options and errors', () => {
  const regionless = {
    version: 4,
    terraform_version: '1.6.0',
    serial: 3,
    lineage: 'x',
    outputs: {},
    resources: [
      {
        mode: 'managed',
        type: 'aws_vpc',
        name: 'main',
        provider: 'provider["registry.terraform.io/hashicorp/aws"].west',
        instances: [
          { schema_version: 1, attributes: { id: 'vpc-9', cidr_block: '10.9.0.0/16', tags: { Name: 'nine' } } },
        ],
      },
      {
        mode: 'managed',
        type: 'aws_security_group',
        name: 'web',
        provider: 'provider["registry.terraform.io/hashicorp/aws"].west',
        instances: [
          {
            index_key: 0,
            schema_version: 1,
            attributes: { id: 'sg-9a', vpc_id: 'vpc-9', name: 'a', ingress: [], egress: [] },
          },
          {
            index_key: 1,
            schema_version: 1,
            attributes: { id: 'sg-9b', vpc_id: 'vpc-9', name: 'b', ingress: [], egress: [] },
            dependencies: ['aws_vpc.main'],
          },
        ],
      },
    ],
  };

  it('uses provider_regions, then the default region, then global with a warning', () => {
    const byAlias = parseTerraformState(regionless, { provider_regions: { 'aws.west': 'us-west-2' } });
    expect(byAlias.nodes.map((n) => n.id)).toEqual([
      'aws:us-west-2:aws.ec2.vpc:vpc-9',
      'aws:us-west-2:aws.ec2.security_group:sg-9a',
      'aws:us-west-2:aws.ec2.security_group:sg-9b',
    ]);
    expect(byAlias.warnings).toEqual([]);
    const byDefault = parseTerraformState(regionless, { region: 'eu-north-1', account_id: '123456789012' });
    expect(byDefault.nodes[0]).toMatchObject({ id: 'aws:eu-north-1:aws.ec2.vpc:vpc-9', account: '123456789012' });
    const none = parseTerraformState(regionless);
    expect(none.nodes[0]?.id).toBe('aws:global:aws.ec2.vpc:vpc-9');
    expect(none.warnings).toEqual([
      "could not tell the region of 3 resource(s) (e.g. aws_vpc.main); they are placed in 'global' (pass a default region)",
    ]);
    expect(edgeStrings(none)).toEqual([
      'contains vpc-9 -> sg-9a',
      'contains vpc-9 -> sg-9b',
      'depends_on sg-9b -> vpc-9',
    ]);
  });

  it('accepts an empty state', () => {
    expect(parseTerraformState(readJson('terraform/empty.tfstate'))).toEqual({
      nodes: [],
      edges: [],
      edgeEnds: new Uint32Array(),
      skipped_documents: [],
      warnings: [],
    });
  });

  it('throws IngestErrors naming the document and the field', () => {
    expect(() => parseTerraformState({ version: 3, modules: [] })).toThrow(IngestError);
    expect(() => parseTerraformState({ version: 3, modules: [] })).toThrow(
      'document "terraform_state": version must be 4',
    );
    expect(() => parseTerraformState({ version: 4, resources: {} })).toThrow(
      'document "terraform_state": resources must be an array',
    );
    const broken = {
      ...regionless,
      resources: [regionless.resources[0], { ...regionless.resources[1], instances: [{ index_key: 0 }] }],
    };
    expect(() => parseTerraformState(broken, { document_name: 'prod.tfstate' })).toThrow(
      'document "prod.tfstate": resources[1].instances[0].attributes must be an object',
    );
    expect(() =>
      parseTerraformState({ version: 4, resources: [{ mode: 'managed', name: 'x', instances: [] }] }),
    ).toThrow('document "terraform_state": resources[0].type must be a string');
    expect(() =>
      parseTerraformState({
        format_version: '1.0',
        values: { root_module: { resources: [{ type: 'aws_vpc', name: 'x', values: {} }] } },
      }),
    ).toThrow('document "terraform_state": values.root_module.resources[0].address must be a string');
    expect(() => parseTerraformState('nope')).toThrow('document "terraform_state": is not valid JSON');
    expect(() => parseTerraformState('[1]')).toThrow('document "terraform_state": must be a JSON object');
    expect(parseTerraformState(JSON.stringify(readJson('terraform/empty.tfstate'))).nodes).toEqual([]);
  });
});

describe('terraform_state: sensitive paths, secrets, module instances and provider aliases', () => {
  const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';
  const state = (resources: unknown[], terraformVersion = '1.9.5') => ({
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: 'qa-0000-4000-8000-000000000001',
    outputs: {},
    resources,
  });
  const rule = (cidrs: string[], description: string, port: number) => ({
    cidr_blocks: cidrs,
    description,
    from_port: port,
    to_port: port,
    protocol: 'tcp',
    ipv6_cidr_blocks: [],
    prefix_list_ids: [],
    security_groups: [],
    self: false,
  });
  const at = (...steps: (string | number)[]) =>
    steps.map((s) =>
      typeof s === 'string' ? { type: 'get_attr', value: s } : { type: 'index', value: { value: s, type: 'number' } },
    );
  const group = (ingress: unknown[], sensitive: unknown[]) =>
    state([
      {
        mode: 'managed',
        type: 'aws_security_group',
        name: 'sg',
        provider: AWS,
        instances: [
          {
            schema_version: 1,
            attributes: {
              arn: 'arn:aws:ec2:us-east-1:111111111111:security-group/sg-0ccccccccccccccc1',
              id: 'sg-0ccccccccccccccc1',
              name: 's',
              vpc_id: 'vpc-0c',
              owner_id: '111111111111',
              description: 'd',
              ingress,
              egress: [],
              tags: {},
            },
            sensitive_attributes: sensitive,
          },
        ],
      },
    ]);
  const sgOf = (inv: ReturnType<typeof parseTerraformState>) =>
    nodeById(inv, id('aws.ec2.security_group', 'sg-0ccccccccccccccc1')).attributes;

  it('drops every list element sensitive_attributes marks, not the ones after them', () => {
    const inv = parseTerraformState(
      group(
        [
          rule(['10.0.0.1/32'], 'SECRET-A', 22),
          rule(['10.0.0.2/32'], 'SECRET-B', 23),
          rule(['10.0.0.3/32'], 'public-C', 24),
        ],
        [at('ingress', 0), at('ingress', 1)],
      ),
    );
    expect(sgOf(inv).ingress).toEqual([expect.objectContaining({ from_port: 24, cidrs: ['10.0.0.3/32'] })]);
    expect(JSON.stringify(inv)).not.toMatch(/SECRET-[AB]/);
  });

  it('does so inside nested lists too, whatever the order of the paths', () => {
    const inv = parseTerraformState(
      group(
        [
          rule(['10.0.0.1/32', '10.9.9.1/32', '10.9.9.2/32', '10.0.0.4/32'], 'r', 22),
          rule(['10.0.1.1/32', '10.9.9.3/32', '10.9.9.4/32', '10.0.1.4/32'], 'r', 23),
        ],
        [
          at('ingress', 0, 'cidr_blocks', 1),
          at('ingress', 0, 'cidr_blocks', 2),
          at('ingress', 1, 'cidr_blocks', 2),
          at('ingress', 1, 'cidr_blocks', 1),
        ],
      ),
    );
    expect(sgOf(inv).ingress).toEqual([
      expect.objectContaining({ from_port: 22, cidrs: ['10.0.0.1/32', '10.0.0.4/32'] }),
      expect.objectContaining({ from_port: 23, cidrs: ['10.0.1.1/32', '10.0.1.4/32'] }),
    ]);
    expect(JSON.stringify(inv)).not.toContain('10.9.9.');
  });

  it('drops secret-named attributes at any depth when the state marks nothing (Terraform < 0.15)', () => {
    const resource = (type: string, attributes: Record<string, unknown>, provider = AWS) => ({
      mode: 'managed',
      type,
      name: 'x',
      provider,
      instances: [{ schema_version: 0, attributes }],
    });
    const inv = parseTerraformState(
      state(
        [
          resource('aws_mq_broker', {
            arn: 'arn:aws:mq:us-east-1:111111111111:broker:mq:b-1',
            id: 'b-1',
            user: [{ username: 'admin', password: 'MQ-PW', console_access: true, groups: [] }],
          }),
          resource('aws_iam_access_key', {
            id: 'AKIAEXAMPLE',
            user: 'ci',
            secret: 'IAM-SECRET',
            ses_smtp_password_v4: 'SES-SMTP-PW',
            status: 'Active',
          }),
          resource('aws_instance', {
            arn: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0win0000000000001',
            id: 'i-0win0000000000001',
            password_data: 'ENCRYPTED-WIN-PW',
            get_password_data: true,
          }),
          resource(
            'azurerm_storage_account',
            {
              id: '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1',
              name: 'sa1',
              location: 'westeurope',
              primary_access_key: 'AZ-KEY1',
              primary_connection_string: 'DefaultEndpointsProtocol=https;AccountName=sa1;AccountKey=AZ-KEY2',
              primary_blob_connection_string: 'AZ-KEY3',
              primary_blob_endpoint: 'https://sa1.blob.core.windows.net/',
            },
            'provider["registry.terraform.io/hashicorp/azurerm"]',
          ),
          resource('aws_ssm_parameter', {
            arn: 'arn:aws:ssm:us-east-1:111111111111:parameter/app/db',
            id: '/app/db',
            name: '/app/db',
            type: 'SecureString',
            value: 'SSM-SECURE-VALUE',
          }),
          resource('aws_ssm_parameter', {
            arn: 'arn:aws:ssm:us-east-1:111111111111:parameter/app/url',
            id: '/app/url',
            name: '/app/url',
            type: 'String',
            value: 'https://app.example.com',
          }),
          resource('aws_lambda_function', {
            arn: 'arn:aws:lambda:us-east-1:111111111111:function:f',
            id: 'f',
            function_name: 'f',
            environment: [{ variables: { QUEUE_URL: 'https://sqs/q', DB_PASSWORD: 'ENV-PW', ApiToken: 'ENV-TOKEN' } }],
          }),
          resource('aws_iam_account_password_policy', {
            id: 'iam-account-password-policy',
            minimum_password_length: 14,
            allow_users_to_change_password: true,
          }),
        ],
        '0.14.11',
      ),
    );
    const text = JSON.stringify(inv);
    for (const secret of [
      'MQ-PW',
      'IAM-SECRET',
      'SES-SMTP-PW',
      'ENCRYPTED-WIN-PW',
      'AZ-KEY',
      'SSM-SECURE-VALUE',
      'ENV-PW',
      'ENV-TOKEN',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(nodeById(inv, 'aws:us-east-1:aws.mq.broker:b-1').attributes.user).toEqual([
      { username: 'admin', console_access: true, groups: [] },
    ]);
    expect(nodeById(inv, id('aws.ec2.instance', 'i-0win0000000000001')).attributes.get_password_data).toBe(true);
    const storage = inv.nodes.find((n) => n.type === 'azure.storage_account');
    expect(storage?.attributes.primary_blob_endpoint).toBe('https://sa1.blob.core.windows.net/');
    expect(nodeById(inv, 'aws:us-east-1:aws.ssm.parameter:/app/url').attributes.value).toBe('https://app.example.com');
    expect(nodeById(inv, 'aws:us-east-1:aws.lambda.function:111111111111/f').attributes.environment).toEqual([
      { variables: { QUEUE_URL: 'https://sqs/q' } },
    ]);
    const policy = inv.nodes.find((n) => n.type === 'aws.iam.account_password_policy');
    expect(policy?.attributes).toMatchObject({ minimum_password_length: 14, allow_users_to_change_password: true });
  });

  it('links a module instance’s resources to the enclosing instance’s dependencies only', () => {
    const sg = (key: string, sgId: string) => ({
      module: `module.app["${key}"]`,
      mode: 'managed',
      type: 'aws_security_group',
      name: 'sg',
      provider: AWS,
      instances: [
        {
          schema_version: 1,
          attributes: {
            arn: `arn:aws:ec2:us-east-1:111111111111:security-group/${sgId}`,
            id: sgId,
            name: key,
            vpc_id: 'vpc-1',
            ingress: [],
            egress: [],
          },
        },
      ],
    });
    const key = (k: string) => ({
      module: `module.app["${k}"].module.inner`,
      mode: 'managed',
      type: 'aws_kms_key',
      name: 'k',
      provider: AWS,
      instances: [
        {
          schema_version: 0,
          attributes: { arn: `arn:aws:kms:us-east-1:111111111111:key/k${k}`, id: `k${k}`, key_id: `k${k}` },
          dependencies: ['module.app.aws_security_group.sg'],
        },
      ],
    });
    const inv = parseTerraformState(state([sg('a', 'sg-0a'), sg('b', 'sg-0b'), key('a'), key('b')]));
    expect(edgeStrings(inv, (e) => e.type === 'depends_on')).toEqual([
      'depends_on ka -> sg-0a',
      'depends_on kb -> sg-0b',
    ]);
  });

  it('reads provider aliases with hyphens (aws.us-east-1) for provider_regions', () => {
    const key = (name: string, alias: string, keyId: string) => ({
      mode: 'managed',
      type: 'aws_kms_key',
      name,
      provider: `${AWS}${alias}`,
      instances: [{ schema_version: 0, attributes: { id: keyId, key_id: keyId } }],
    });
    const inv = parseTerraformState(state([key('cf', '.us-east-1', 'k-1'), key('w', '.west', 'k-2')]), {
      provider_regions: { 'aws.us-east-1': 'us-east-1', 'aws.west': 'us-west-2' },
    });
    expect(inv.nodes.map((n) => n.id)).toEqual(['aws:us-east-1:aws.kms.key:k-1', 'aws:us-west-2:aws.kms.key:k-2']);
    expect(inv.warnings).toEqual([]);
  });
});

describe('terraform_state: documents that are not states', () => {
  it('refuses a plan (it would read as an empty state and remove everything the state had)', () => {
    const plan = readJson('terraform/plan.json');
    expect(() => parseTerraformState(plan)).toThrow(IngestError);
    expect(() => parseTerraformState(plan, { document_name: 'prod' })).toThrow(
      'document "prod": is a Terraform plan (terraform show -json <planfile>: it has resource_changes), not a state; use source terraform_plan',
    );
    expect(() =>
      parseTerraformState({ format_version: '1.2', terraform_version: '1.9.5', planned_values: { root_module: {} } }),
    ).toThrow('is a Terraform plan');
  });

  it('refuses objects with neither values nor version and resources', () => {
    expect(() => parseTerraformState({})).toThrow(
      'document "terraform_state": is not a Terraform state: it has neither values (terraform show -json) nor version and resources (.tfstate)',
    );
    expect(() => parseTerraformState({ format_version: '1.0', provider_schemas: {} })).toThrow(
      'document "terraform_state": values is missing and the document has provider_schemas: this is not a Terraform state',
    );
  });

  it('keeps a resource whose whole value sensitive_values marks (none of its values), rather than crashing', () => {
    const inv = parseTerraformState(
      {
        format_version: '1.0',
        values: {
          root_module: {
            resources: [
              {
                address: 'aws_ssm_parameter.p',
                mode: 'managed',
                type: 'aws_ssm_parameter',
                name: 'p',
                provider_name: 'registry.terraform.io/hashicorp/aws',
                values: { id: '/app/p', name: '/app/p', value: 'WHOLLY-SENSITIVE' },
                sensitive_values: true,
              },
            ],
          },
        },
      },
      { region: 'eu-west-1' },
    );
    expect(inv.nodes.map((n) => n.id)).toEqual(['aws:eu-west-1:aws.ssm.parameter:aws_ssm_parameter.p']);
    expect(JSON.stringify(inv)).not.toContain('WHOLLY-SENSITIVE');
  });

  it('accepts terraform show -json of an empty state (Terraform prints only format_version)', () => {
    const empty = { nodes: [], edges: [], edgeEnds: new Uint32Array(), skipped_documents: [], warnings: [] };
    expect(parseTerraformState({ format_version: '1.0' })).toEqual(empty);
    expect(parseTerraformState({ format_version: '1.0', terraform_version: '1.9.5' })).toEqual(empty);
  });
});

describe('terraform_state: provider default_tags from a configuration section', () => {
  const state = (configuration?: Record<string, unknown>) => ({
    format_version: '1.0',
    values: {
      root_module: {
        resources: [
          {
            address: 'aws_vpc.main',
            mode: 'managed',
            type: 'aws_vpc',
            name: 'main',
            provider_name: 'registry.terraform.io/hashicorp/aws',
            values: { id: 'vpc-0aaaaaaaaaaaaaaa1', cidr_block: '10.0.0.0/16', tags: { Name: 'main' } },
            sensitive_values: {},
          },
        ],
      },
    },
    ...(configuration === undefined ? {} : { configuration }),
  });
  const configuration = {
    provider_config: {
      aws: { name: 'aws', expressions: { default_tags: [{ tags: { constant_value: { owner: 'team-x' } } }] } },
    },
    root_module: {
      resources: [
        { address: 'aws_vpc.main', mode: 'managed', type: 'aws_vpc', name: 'main', provider_config_key: 'aws' },
      ],
    },
  };
  const options = { region: 'eu-west-1', account_id: '111111111111' };

  it('merges them under the tags of resources without tags_all when the document has one', () => {
    const expected = { owner: 'team-x', Name: 'main' };
    expect(parseTerraformState(state(configuration), options).nodes[0]!.tags).toEqual(expected);
    expect(parseTerraformState(JSON.stringify(state(configuration)), options).nodes[0]!.tags).toEqual(expected);
  });

  it('uses tags alone when there is no configuration (the usual show -json of a state)', () => {
    expect(parseTerraformState(state(), options).nodes[0]!.tags).toEqual({ Name: 'main' });
  });
});
