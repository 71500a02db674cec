import { describe, expect, it } from 'vitest';
import { IngestError, parseAwsSnapshot } from '../../../src/core/ingest/index.ts';
import { nodeId } from '../../../src/core/inventory/types.ts';
import { edgeStrings, hasEdge, nodeById, snapshotFromFolder } from './helpers.ts';

const R = 'us-east-1';
const id = (type: string, key: string, region = R) => nodeId('aws', region, type, key);

describe('aws_snapshot: two-tier VPC (account/region/*.json)', () => {
  const inv = parseAwsSnapshot(snapshotFromFolder('aws-snapshot/two-tier'));

  it('recognises every document and reports nothing', () => {
    expect(inv.skipped_documents).toEqual([]);
    expect(inv.warnings).toEqual([]);
  });

  it('makes one node per resource, keyed by native id, in the folder’s account and region', () => {
    expect(inv.nodes.map((n) => n.id).sort()).toEqual(
      [
        id('aws.ec2.vpc', 'vpc-0a1b2c3d4e5f60001'),
        id('aws.ec2.subnet', 'subnet-0a1b2c3d4e5f60011'),
        id('aws.ec2.subnet', 'subnet-0a1b2c3d4e5f60012'),
        id('aws.ec2.internet_gateway', 'igw-0a1b2c3d4e5f60021'),
        id('aws.ec2.nat_gateway', 'nat-0a1b2c3d4e5f60031'),
        id('aws.ec2.network_interface', 'eni-0a1b2c3d4e5f60041'),
        id('aws.ec2.network_interface', 'eni-0a1b2c3d4e5f60042'),
        id('aws.ec2.network_interface', 'eni-0a1b2c3d4e5f60043'),
        id('aws.ec2.elastic_ip', 'eipalloc-0a1b2c3d4e5f60051'),
        id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60061'),
        id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60062'),
        id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60063'),
        id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60071'),
        id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60072'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60080'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60081'),
        id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60082'),
        id('aws.ec2.instance', 'i-0a1b2c3d4e5f60091'),
        id('aws.ec2.instance', 'i-0a1b2c3d4e5f60092'),
      ].sort(),
    );
  });

  it('names web-01 from its Name tag, with the account, ARN and flat tags', () => {
    const web = nodeById(inv, id('aws.ec2.instance', 'i-0a1b2c3d4e5f60091'));
    expect(web).toMatchObject({
      provider: 'aws',
      type: 'aws.ec2.instance',
      account: '111111111111',
      region: R,
      name: 'web-01',
      native_id: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a1b2c3d4e5f60091',
      tags: { Name: 'web-01', app: 'shop' },
    });
    expect(web.attributes).toMatchObject({
      instance_id: 'i-0a1b2c3d4e5f60091',
      state: 'running',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      subnet_id: 'subnet-0a1b2c3d4e5f60011',
      private_ip: '10.0.1.10',
      public_ip: '3.91.20.30',
      security_group_ids: ['sg-0a1b2c3d4e5f60081'],
      network_interface_ids: ['eni-0a1b2c3d4e5f60042'],
      instance_type: 't3.micro',
      image_id: 'ami-0c02fb55956c7d316',
      iam_instance_profile_arn: null,
      metadata_http_tokens: 'required',
    });
  });

  it('turns instances’ embedded interfaces and describe-network-interfaces into one ENI node each', () => {
    const eni = nodeById(inv, id('aws.ec2.network_interface', 'eni-0a1b2c3d4e5f60042'));
    expect(eni.attributes).toMatchObject({
      network_interface_id: 'eni-0a1b2c3d4e5f60042',
      subnet_id: 'subnet-0a1b2c3d4e5f60011',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      private_ips: ['10.0.1.10'],
      ipv6_addresses: [],
      public_ip: '3.91.20.30',
      security_group_ids: ['sg-0a1b2c3d4e5f60081'],
      interface_type: 'interface',
      status: 'in-use',
      source_dest_check: true,
      attachment: { instance_id: 'i-0a1b2c3d4e5f60091', device_index: 0, status: 'attached' },
      description: null,
      availability_zone: 'us-east-1a',
    });
    const nat = nodeById(inv, id('aws.ec2.network_interface', 'eni-0a1b2c3d4e5f60041'));
    expect(nat.attributes).toMatchObject({
      interface_type: 'nat_gateway',
      public_ip: '54.210.10.20',
      source_dest_check: false,
      attachment: null,
      description: 'Interface for NAT Gateway nat-0a1b2c3d4e5f60031',
      requester_managed: true,
    });
  });

  it('normalises security group rules exactly as the contract says', () => {
    const web = nodeById(inv, id('aws.ec2.security_group', 'sg-0a1b2c3d4e5f60081'));
    expect(web.name).toBe('web-sg');
    expect(web.attributes).toMatchObject({
      group_id: 'sg-0a1b2c3d4e5f60081',
      group_name: 'web-sg',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      owner_id: '111111111111',
      ingress: [
        {
          protocol: '6',
          from_port: 443,
          to_port: 443,
          cidrs: ['0.0.0.0/0'],
          ipv6_cidrs: [],
          prefix_list_ids: [],
          security_group_ids: [],
          description: 'HTTPS from anywhere',
        },
      ],
      egress: [
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
      ],
    });
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
  });

  it('normalises NACL entries (ingress then egress, by rule number; the 32767 rule kept)', () => {
    const acl = nodeById(inv, id('aws.ec2.network_acl', 'acl-0a1b2c3d4e5f60072'));
    expect(acl.attributes).toEqual({
      network_acl_id: 'acl-0a1b2c3d4e5f60072',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      is_default: false,
      subnet_ids: ['subnet-0a1b2c3d4e5f60012'],
      owner_id: '111111111111',
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
          rule_number: 32767,
          egress: false,
          protocol: '-1',
          action: 'deny',
          cidr: '0.0.0.0/0',
          ipv6_cidr: null,
          port_range: null,
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
        {
          rule_number: 32767,
          egress: true,
          protocol: '-1',
          action: 'deny',
          cidr: '0.0.0.0/0',
          ipv6_cidr: null,
          port_range: null,
          icmp: null,
        },
      ],
    });
  });

  it('normalises route tables: local route, targets by type, main flag, explicit subnets', () => {
    const pub = nodeById(inv, id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60061'));
    expect(pub.attributes).toMatchObject({
      route_table_id: 'rtb-0a1b2c3d4e5f60061',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      main: false,
      subnet_ids: ['subnet-0a1b2c3d4e5f60011'],
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
          target_type: 'internet_gateway',
          target_id: 'igw-0a1b2c3d4e5f60021',
          state: 'active',
          origin: 'CreateRoute',
        },
      ],
    });
    const priv = nodeById(inv, id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60062'));
    expect((priv.attributes.routes as unknown[])[1]).toMatchObject({
      target_type: 'nat_gateway',
      target_id: 'nat-0a1b2c3d4e5f60031',
    });
    const main = nodeById(inv, id('aws.ec2.route_table', 'rtb-0a1b2c3d4e5f60063'));
    expect(main.attributes).toMatchObject({ main: true, subnet_ids: [] });
  });

  it('describes the NAT gateway and its Elastic IP', () => {
    expect(nodeById(inv, id('aws.ec2.nat_gateway', 'nat-0a1b2c3d4e5f60031')).attributes).toMatchObject({
      nat_gateway_id: 'nat-0a1b2c3d4e5f60031',
      vpc_id: 'vpc-0a1b2c3d4e5f60001',
      subnet_id: 'subnet-0a1b2c3d4e5f60011',
      state: 'available',
      connectivity_type: 'public',
      private_ip: '10.0.1.100',
      public_ip: '54.210.10.20',
      network_interface_id: 'eni-0a1b2c3d4e5f60041',
    });
    expect(nodeById(inv, id('aws.ec2.elastic_ip', 'eipalloc-0a1b2c3d4e5f60051')).attributes).toMatchObject({
      allocation_id: 'eipalloc-0a1b2c3d4e5f60051',
      public_ip: '54.210.10.20',
      association_id: 'eipassoc-0a1b2c3d4e5f60052',
      network_interface_id: 'eni-0a1b2c3d4e5f60041',
      instance_id: null,
      private_ip: '10.0.1.100',
    });
  });

  it('derives containment, attachment, membership, routing and SG reference edges', () => {
    expect(edgeStrings(inv)).toEqual(
      [
        'contains vpc-0a1b2c3d4e5f60001 -> subnet-0a1b2c3d4e5f60011',
        'contains vpc-0a1b2c3d4e5f60001 -> subnet-0a1b2c3d4e5f60012',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60080',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60081',
        'contains vpc-0a1b2c3d4e5f60001 -> sg-0a1b2c3d4e5f60082',
        'contains vpc-0a1b2c3d4e5f60001 -> acl-0a1b2c3d4e5f60071',
        'contains vpc-0a1b2c3d4e5f60001 -> acl-0a1b2c3d4e5f60072',
        'contains vpc-0a1b2c3d4e5f60001 -> rtb-0a1b2c3d4e5f60061',
        'contains vpc-0a1b2c3d4e5f60001 -> rtb-0a1b2c3d4e5f60062',
        'contains vpc-0a1b2c3d4e5f60001 -> rtb-0a1b2c3d4e5f60063',
        'contains subnet-0a1b2c3d4e5f60011 -> i-0a1b2c3d4e5f60091',
        'contains subnet-0a1b2c3d4e5f60011 -> eni-0a1b2c3d4e5f60042',
        'contains subnet-0a1b2c3d4e5f60011 -> eni-0a1b2c3d4e5f60041',
        'contains subnet-0a1b2c3d4e5f60011 -> nat-0a1b2c3d4e5f60031',
        'contains subnet-0a1b2c3d4e5f60012 -> i-0a1b2c3d4e5f60092',
        'contains subnet-0a1b2c3d4e5f60012 -> eni-0a1b2c3d4e5f60043',
        'attached_to igw-0a1b2c3d4e5f60021 -> vpc-0a1b2c3d4e5f60001',
        'attached_to eni-0a1b2c3d4e5f60042 -> i-0a1b2c3d4e5f60091',
        'attached_to eni-0a1b2c3d4e5f60043 -> i-0a1b2c3d4e5f60092',
        'attached_to eni-0a1b2c3d4e5f60041 -> nat-0a1b2c3d4e5f60031',
        'attached_to eipalloc-0a1b2c3d4e5f60051 -> eni-0a1b2c3d4e5f60041',
        'member_of i-0a1b2c3d4e5f60091 -> sg-0a1b2c3d4e5f60081',
        'member_of eni-0a1b2c3d4e5f60042 -> sg-0a1b2c3d4e5f60081',
        'member_of i-0a1b2c3d4e5f60092 -> sg-0a1b2c3d4e5f60082',
        'member_of eni-0a1b2c3d4e5f60043 -> sg-0a1b2c3d4e5f60082',
        'member_of subnet-0a1b2c3d4e5f60011 -> acl-0a1b2c3d4e5f60071',
        'member_of subnet-0a1b2c3d4e5f60012 -> acl-0a1b2c3d4e5f60072',
        'member_of subnet-0a1b2c3d4e5f60011 -> rtb-0a1b2c3d4e5f60061',
        'member_of subnet-0a1b2c3d4e5f60012 -> rtb-0a1b2c3d4e5f60062',
        'routes_to rtb-0a1b2c3d4e5f60061 -> igw-0a1b2c3d4e5f60021',
        'routes_to rtb-0a1b2c3d4e5f60062 -> nat-0a1b2c3d4e5f60031',
        'allows_traffic_from sg-0a1b2c3d4e5f60080 -> sg-0a1b2c3d4e5f60080',
        'allows_traffic_from sg-0a1b2c3d4e5f60082 -> sg-0a1b2c3d4e5f60081',
      ].sort(),
    );
    const route = inv.edges.find((e) => e.type === 'routes_to' && e.target_id.endsWith('igw-0a1b2c3d4e5f60021'));
    expect(route?.attributes).toEqual({ destinations: ['0.0.0.0/0'] });
    const sgRef = inv.edges.find(
      (e) => e.type === 'allows_traffic_from' && e.source_id.endsWith('sg-0a1b2c3d4e5f60082'),
    );
    expect(sgRef?.attributes).toEqual({ ingress_rule_indexes: [0] });
  });

  it('gives the same result whatever the order of the documents', () => {
    const input = snapshotFromFolder('aws-snapshot/two-tier');
    const reversed = parseAwsSnapshot({ ...input, documents: [...input.documents].reverse() });
    expect(reversed.nodes.map((n) => n.id).sort()).toEqual(inv.nodes.map((n) => n.id).sort());
    expect(reversed.edges.length).toBe(inv.edges.length);
    const web = (p: typeof inv) => p.nodes.find((n) => n.name === 'web-01')?.attributes;
    expect(web(reversed)).toEqual(web(inv));
  });
});

describe('aws_snapshot: several accounts and regions', () => {
  const inv = parseAwsSnapshot(snapshotFromFolder('aws-snapshot/multi-account'));
  const HUB = '444444444444';
  const WL = '555555555555';

  it('skips documents it does not know (and only those); empty documents are fine', () => {
    expect(inv.skipped_documents).toEqual(['444444444444/global/sts-get-caller-identity.json']);
    expect(inv.nodes.some((n) => n.type === 'aws.ec2.nat_gateway')).toBe(false);
  });

  it('merges the shared transit gateway seen from both accounts into one node (owner account, owner tags)', () => {
    const tgws = inv.nodes.filter((n) => n.type === 'aws.ec2.transit_gateway');
    expect(tgws.map((n) => n.id)).toEqual([id('aws.ec2.transit_gateway', 'tgw-0444000000000001')]);
    expect(tgws[0]).toMatchObject({
      account: HUB,
      name: 'org-hub',
      native_id: 'arn:aws:ec2:us-east-1:444444444444:transit-gateway/tgw-0444000000000001',
    });
    expect(tgws[0]?.attributes).toMatchObject({
      state: 'available',
      owner_id: HUB,
      default_association_route_table_id: 'tgw-rtb-0444000000000001',
      default_propagation_route_table_id: 'tgw-rtb-0444000000000001',
      amazon_side_asn: 64512,
    });
  });

  it('merges an attachment listed by the TGW owner and by the VPC owner', () => {
    const att = nodeById(inv, id('aws.ec2.transit_gateway_attachment', 'tgw-attach-0555000000000001'));
    expect(att.attributes).toMatchObject({
      transit_gateway_attachment_id: 'tgw-attach-0555000000000001',
      transit_gateway_id: 'tgw-0444000000000001',
      resource_type: 'vpc',
      resource_id: 'vpc-0555000000000001',
      resource_owner_id: WL,
      state: 'available',
      association_route_table_id: 'tgw-rtb-0444000000000002',
      subnet_ids: ['subnet-0555000000000011'],
    });
    expect(att.account).toBe(WL);
    expect(att.name).toBe('orders-to-hub');
  });

  it('fills TGW route tables from propagations, routes (by file name or wrapper) and associations', () => {
    const def = nodeById(inv, id('aws.ec2.transit_gateway_route_table', 'tgw-rtb-0444000000000001'));
    expect(def.attributes).toMatchObject({
      transit_gateway_id: 'tgw-0444000000000001',
      association_attachment_ids: ['tgw-attach-0444000000000001', 'tgw-attach-0444000000000002'],
      propagation_attachment_ids: [
        'tgw-attach-0444000000000001',
        'tgw-attach-0555000000000001',
        'tgw-attach-0444000000000002',
      ],
      routes: [
        {
          destination_cidr: '10.100.0.0/16',
          prefix_list_id: null,
          type: 'propagated',
          state: 'active',
          attachment_ids: ['tgw-attach-0444000000000001'],
        },
        {
          destination_cidr: '10.200.0.0/16',
          prefix_list_id: null,
          type: 'propagated',
          state: 'active',
          attachment_ids: ['tgw-attach-0555000000000001'],
        },
        {
          destination_cidr: '192.168.0.0/16',
          prefix_list_id: null,
          type: 'propagated',
          state: 'active',
          attachment_ids: ['tgw-attach-0444000000000002'],
        },
        {
          destination_cidr: '10.66.0.0/16',
          prefix_list_id: null,
          type: 'static',
          state: 'blackhole',
          attachment_ids: [],
        },
      ],
    });
    const iso = nodeById(inv, id('aws.ec2.transit_gateway_route_table', 'tgw-rtb-0444000000000002'));
    expect(iso.attributes).toMatchObject({
      association_attachment_ids: ['tgw-attach-0555000000000001'],
      propagation_attachment_ids: ['tgw-attach-0444000000000001'],
      routes: [
        {
          destination_cidr: '0.0.0.0/0',
          type: 'static',
          state: 'active',
          attachment_ids: ['tgw-attach-0444000000000001'],
        },
      ],
    });
    expect(edgeStrings(inv, (e) => e.source_id.includes('transit_gateway_route_table'))).toEqual(
      [
        'routes_to tgw-rtb-0444000000000001 -> tgw-attach-0444000000000001',
        'routes_to tgw-rtb-0444000000000001 -> tgw-attach-0555000000000001',
        'routes_to tgw-rtb-0444000000000001 -> tgw-attach-0444000000000002',
        'routes_to tgw-rtb-0444000000000002 -> tgw-attach-0444000000000001',
      ].sort(),
    );
  });

  it('merges both sides of a cross-account, cross-region peering into one node in the requester’s region', () => {
    const pcx = inv.nodes.filter((n) => n.type === 'aws.ec2.vpc_peering_connection');
    expect(pcx.map((n) => n.id)).toEqual([id('aws.ec2.vpc_peering_connection', 'pcx-0444000000000001')]);
    expect(pcx[0]?.account).toBe(HUB);
    expect(pcx[0]?.attributes).toEqual({
      vpc_peering_connection_id: 'pcx-0444000000000001',
      status: 'active',
      requester: { vpc_id: 'vpc-0444000000000001', owner_id: HUB, region: 'us-east-1', cidr_blocks: ['10.100.0.0/16'] },
      accepter: { vpc_id: 'vpc-0555000000000002', owner_id: WL, region: 'eu-west-1', cidr_blocks: ['10.201.0.0/16'] },
    });
    const hubVpc = id('aws.ec2.vpc', 'vpc-0444000000000001');
    const euVpc = id('aws.ec2.vpc', 'vpc-0555000000000002', 'eu-west-1');
    expect(hasEdge(inv, hubVpc, euVpc, 'peers_with')).toBe(true);
    expect(hasEdge(inv, euVpc, hubVpc, 'peers_with')).toBe(true);
    expect(inv.edges.find((e) => e.source_id === hubVpc && e.type === 'peers_with')?.attributes).toEqual({
      vpc_peering_connection_id: 'pcx-0444000000000001',
    });
  });

  it('keeps only associated VPC CIDRs', () => {
    expect(nodeById(inv, id('aws.ec2.vpc', 'vpc-0444000000000001')).attributes).toMatchObject({
      cidr_blocks: ['10.100.0.0/16'],
      ipv6_cidr_blocks: ['2600:1f18:abcd:1200::/56'],
      is_default: false,
      owner_id: HUB,
    });
  });

  it('keeps objects in a dead state, with their state', () => {
    const dead = nodeById(inv, id('aws.ec2.instance', 'i-0444000000000002'));
    expect(dead.name).toBe('old-bastion');
    expect(dead.attributes).toMatchObject({ state: 'terminated', subnet_id: null, vpc_id: null, private_ip: null });
  });

  it('normalises protocols and ports of every kind of rule', () => {
    const sg = nodeById(inv, id('aws.ec2.security_group', 'sg-0444000000000001'));
    expect(sg.attributes.ingress).toEqual([
      {
        protocol: '6',
        from_port: 443,
        to_port: 443,
        cidrs: ['10.0.0.0/8'],
        ipv6_cidrs: ['2600:1f18:abcd:1200::/56'],
        prefix_list_ids: ['pl-0444000000000001'],
        security_group_ids: [],
        description: 'org',
      },
      {
        protocol: '1',
        from_port: -1,
        to_port: -1,
        cidrs: ['10.100.0.0/16'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
        description: null,
      },
      {
        protocol: '17',
        from_port: null,
        to_port: null,
        cidrs: ['10.100.0.0/16'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
        description: null,
      },
      {
        protocol: '50',
        from_port: null,
        to_port: null,
        cidrs: ['198.51.100.7/32'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
        description: null,
      },
      {
        protocol: '6',
        from_port: 8443,
        to_port: 8443,
        cidrs: [],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: ['sg-0555000000000001'],
        description: 'workload apps',
      },
    ]);
    expect(sg.native_id).toBe('arn:aws:ec2:us-east-1:444444444444:security-group/sg-0444000000000001');
    // A rule naming a group of another account links to it when that group is in the input.
    expect(hasEdge(inv, sg.id, id('aws.ec2.security_group', 'sg-0555000000000001'), 'allows_traffic_from')).toBe(true);
  });

  it('normalises route targets: TGW, peering, egress-only IGW, gateway endpoint by prefix list, instance ENI', () => {
    const rt = nodeById(inv, id('aws.ec2.route_table', 'rtb-0444000000000001'));
    const routes = rt.attributes.routes as Record<string, unknown>[];
    expect(
      routes.map((r) => [
        r.destination_cidr ?? r.destination_ipv6_cidr ?? r.destination_prefix_list_id,
        r.target_type,
        r.target_id,
        r.state,
      ]),
    ).toEqual([
      ['10.100.0.0/16', 'local', 'local', 'active'],
      ['2600:1f18:abcd:1200::/56', 'local', 'local', 'active'],
      ['10.0.0.0/8', 'transit_gateway', 'tgw-0444000000000001', 'active'],
      ['10.201.0.0/16', 'vpc_peering_connection', 'pcx-0444000000000001', 'active'],
      ['::/0', 'egress_only_internet_gateway', 'eigw-0444000000000001', 'active'],
      ['pl-63a5400a', 'vpc_endpoint', 'vpce-0444000000000002', 'active'],
      ['172.31.0.0/16', 'network_interface', 'eni-0444000000000009', 'blackhole'],
    ]);
    // A disassociated subnet is not a member.
    expect(rt.attributes).toMatchObject({ main: true, subnet_ids: ['subnet-0444000000000011'] });
  });

  it('completes prefix lists from entries documents and describe-prefix-lists', () => {
    expect(nodeById(inv, id('aws.ec2.managed_prefix_list', 'pl-0444000000000001')).attributes).toMatchObject({
      prefix_list_name: 'onprem',
      address_family: 'IPv4',
      cidrs: ['172.16.0.0/12', '192.168.0.0/16'],
    });
    const s3 = nodeById(inv, id('aws.ec2.managed_prefix_list', 'pl-63a5400a'));
    expect(s3.account).toBe('aws');
    expect(s3.name).toBe('com.amazonaws.us-east-1.s3');
    expect(s3.attributes).toMatchObject({ cidrs: ['16.15.176.0/20', '52.216.0.0/15', '54.231.0.0/16'] });
  });

  it('never keeps VPN pre-shared keys', () => {
    const vpn = nodeById(inv, id('aws.ec2.vpn_connection', 'vpn-0444000000000001'));
    expect(JSON.stringify(vpn)).not.toContain('example-psk');
    expect(vpn.attributes).toMatchObject({
      state: 'available',
      vpn_gateway_id: null,
      transit_gateway_id: 'tgw-0444000000000001',
      customer_gateway_id: 'cgw-0444000000000001',
      static_routes_only: false,
      routes: [],
    });
    expect(nodeById(inv, id('aws.ec2.customer_gateway', 'cgw-0444000000000001')).attributes).toMatchObject({
      ip_address: '198.51.100.7',
      bgp_asn: '65010',
      state: 'available',
    });
  });

  it('links load balancers to listeners, target groups and IP targets', () => {
    const lbId = id('aws.elbv2.load_balancer', `${HUB}/edge`);
    const lb = nodeById(inv, lbId);
    expect(lb.native_id).toBe(
      'arn:aws:elasticloadbalancing:us-east-1:444444444444:loadbalancer/net/edge/0a1b2c3d4e5f6a7b',
    );
    expect(lb.attributes).toMatchObject({
      load_balancer_name: 'edge',
      scheme: 'internet-facing',
      type: 'network',
      vpc_id: 'vpc-0444000000000001',
      subnet_ids: ['subnet-0444000000000011'],
      security_group_ids: [],
      state: 'active',
      listeners: [{ port: 443, protocol: 'TCP' }],
      target_ids: ['10.100.1.10'],
      targets: [{ id: '10.100.1.10', port: 443 }],
    });
    const tgId = id('aws.elbv2.target_group', `${HUB}/edge-tcp`);
    expect(nodeById(inv, tgId).attributes).toMatchObject({
      load_balancer_arns: [
        'arn:aws:elasticloadbalancing:us-east-1:444444444444:loadbalancer/net/edge/0a1b2c3d4e5f6a7b',
      ],
      targets: [{ id: '10.100.1.10', port: 443, health: 'healthy' }],
    });
    const eni = id('aws.ec2.network_interface', 'eni-0444000000000001');
    expect(hasEdge(inv, lbId, tgId, 'targets')).toBe(true);
    expect(hasEdge(inv, tgId, eni, 'targets')).toBe(true);
    expect(hasEdge(inv, lbId, eni, 'targets')).toBe(true);
  });

  it('maps RDS, Lambda and their network placement', () => {
    const db = nodeById(inv, id('aws.rds.db_instance', `${WL}/orders`));
    expect(db).toMatchObject({ account: WL, name: 'orders-db', tags: { app: 'orders', Name: 'orders-db' } });
    expect(db.attributes).toMatchObject({
      db_instance_identifier: 'orders',
      engine: 'postgres',
      status: 'available',
      endpoint_address: 'orders.c1x2y3z4w5v6.us-east-1.rds.amazonaws.com',
      endpoint_port: 5432,
      publicly_accessible: false,
      vpc_id: 'vpc-0555000000000001',
      subnet_ids: ['subnet-0555000000000011'],
      security_group_ids: ['sg-0555000000000001'],
      storage_encrypted: true,
      deletion_protection: true,
      backup_retention_period: 7,
      auto_minor_version_upgrade: false,
    });
    const fn = nodeById(inv, id('aws.lambda.function', `${WL}/orders-events`));
    expect(fn.attributes).toMatchObject({
      function_name: 'orders-events',
      vpc_id: 'vpc-0555000000000001',
      subnet_ids: ['subnet-0555000000000011'],
      security_group_ids: ['sg-0555000000000001'],
    });
    expect(hasEdge(inv, fn.id, nodeId('aws', 'global', 'aws.iam.role', `${WL}/orders-events-exec`), 'assumes')).toBe(
      true,
    );
    expect(hasEdge(inv, id('aws.ec2.subnet', 'subnet-0555000000000011'), db.id, 'contains')).toBe(true);
  });

  it('keeps same-named IAM roles of two accounts apart; IAM and S3 are global', () => {
    const roles = inv.nodes.filter((n) => n.name === 'OrganizationAccountAccessRole').map((n) => n.id);
    expect(roles.sort()).toEqual([
      'aws:global:aws.iam.role:444444444444/OrganizationAccountAccessRole',
      'aws:global:aws.iam.role:555555555555/OrganizationAccountAccessRole',
    ]);
    expect(nodeById(inv, 'aws:global:aws.iam.policy:aws/AdministratorAccess').account).toBe('aws');
    expect(nodeById(inv, 'aws:global:aws.iam.policy:444444444444/network-readonly').native_id).toBe(
      'arn:aws:iam::444444444444:policy/network-readonly',
    );
    const bucket = nodeById(inv, 'aws:global:aws.s3.bucket:hub-flow-logs-444444444444');
    expect(bucket).toMatchObject({
      region: 'global',
      account: HUB,
      native_id: 'arn:aws:s3:::hub-flow-logs-444444444444',
    });
    expect(bucket.attributes).toMatchObject({ bucket: 'hub-flow-logs-444444444444', region: 'us-east-1' });
    expect(nodeById(inv, 'aws:global:aws.s3.bucket:hub-artifacts').attributes).toMatchObject({ region: null });
    // alice may assume network-admin (trust policy principal)
    expect(
      hasEdge(
        inv,
        'aws:global:aws.iam.user:444444444444/alice',
        'aws:global:aws.iam.role:444444444444/network-admin',
        'assumes',
      ),
    ).toBe(true);
  });

  it('warns about references to things not in the input instead of making dangling edges', () => {
    expect(inv.warnings).toContain(
      'aws.ec2.vpc_endpoint arn:aws:ec2:us-east-1:444444444444:vpc-endpoint/vpce-0444000000000001 references eni-0444000000000011 (network_interface_ids), which is not in the input',
    );
    const ids = new Set(inv.nodes.map((n) => n.id));
    for (const e of inv.edges) {
      expect(ids.has(e.source_id)).toBe(true);
      expect(ids.has(e.target_id)).toBe(true);
    }
    const keys = inv.edges.map((e) => `${e.source_id}|${e.target_id}|${e.type}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('aws_snapshot: inputs and errors', () => {
  const vpcs = { Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.9.0.0/16', State: 'available', OwnerId: '999999999999' }] };

  it('takes region and account from the input when documents do not say', () => {
    const inv = parseAwsSnapshot({
      account_id: '123456789012',
      region: 'eu-central-1',
      documents: [{ name: 'vpcs.json', content: vpcs }],
    });
    expect(inv.nodes[0]).toMatchObject({ id: 'aws:eu-central-1:aws.ec2.vpc:vpc-1', account: '999999999999' });
    const perDoc = parseAwsSnapshot({
      region: 'eu-central-1',
      documents: [{ name: 'v.json', region: 'ap-south-1', content: vpcs }],
    });
    expect(perDoc.nodes[0]?.id).toBe('aws:ap-south-1:aws.ec2.vpc:vpc-1');
  });

  it('places regional objects of a document without region in global, with a warning', () => {
    const inv = parseAwsSnapshot({ documents: [{ name: 'vpcs.json', content: vpcs }] });
    expect(inv.nodes[0]?.id).toBe('aws:global:aws.ec2.vpc:vpc-1');
    expect(inv.warnings).toEqual([
      `document "vpcs.json": no region given (document or input region); its regional resources are placed in 'global'`,
    ]);
  });

  it('treats empty documents as zero nodes and unknown ones as skipped', () => {
    const inv = parseAwsSnapshot({
      region: 'us-east-1',
      documents: [
        { name: 'empty.json', content: {} },
        { name: 'nothing.json', content: null },
        { name: 'no-vpcs.json', content: { Vpcs: [] } },
        { name: 'page.json', content: { NextToken: 'abc' } },
        { name: 'caller.json', content: { Account: '1', Arn: 'arn:aws:iam::1:user/x', UserId: 'x' } },
        { name: 'list.json', content: [1, 2] },
      ],
    });
    expect(inv.nodes).toEqual([]);
    expect(inv.skipped_documents).toEqual(['caller.json', 'list.json']);
    expect(inv.warnings).toEqual(['document "list.json": not a JSON object, skipped']);
  });

  it('skips TGW routes whose route table cannot be told, with a warning', () => {
    const inv = parseAwsSnapshot({
      region: 'us-east-1',
      documents: [{ name: 'routes.json', content: { Routes: [] } }],
    });
    expect(inv.skipped_documents).toEqual(['routes.json']);
    expect(inv.warnings[0]).toContain('routes without a transit gateway route table');
  });

  it('throws an IngestError naming the document and the field', () => {
    const bad = {
      Reservations: [
        { OwnerId: '1', Instances: [{ InstanceId: 'i-1' }] },
        { OwnerId: '1', Instances: [{ InstanceId: 'i-2' }, { InstanceId: 42 }] },
      ],
    };
    const run = () =>
      parseAwsSnapshot({ region: 'us-east-1', documents: [{ name: 'ec2-describe-instances.json', content: bad }] });
    expect(run).toThrow(IngestError);
    expect(run).toThrow(
      'document "ec2-describe-instances.json": Reservations[1].Instances[1].InstanceId must be a string',
    );
    try {
      run();
    } catch (e) {
      expect(e).toMatchObject({
        document: 'ec2-describe-instances.json',
        path: 'Reservations[1].Instances[1].InstanceId',
      });
    }
    expect(() =>
      parseAwsSnapshot({ documents: [{ name: 'vpcs.json', content: { Vpcs: { VpcId: 'vpc-1' } } }] }),
    ).toThrow('document "vpcs.json": Vpcs must be an array');
    expect(() =>
      parseAwsSnapshot({ documents: [{ name: 'sg.json', content: { SecurityGroups: [{ GroupId: 'sg-1' }, 'x'] } }] }),
    ).toThrow('document "sg.json": SecurityGroups[1] must be an object');
    expect(() => parseAwsSnapshot({ documents: [{ content: {} }] } as never)).toThrow(
      'documents[0].name must be a string',
    );
    expect(() => parseAwsSnapshot({} as never)).toThrow('documents must be an array');
    expect(() => parseAwsSnapshot({ documents: [{ name: 'v.json', content: '{"Vpcs": [' }] })).toThrow(
      'document "v.json": is not valid JSON',
    );
    // JSON text is accepted as well as parsed JSON
    const fromText = parseAwsSnapshot({
      region: 'us-east-1',
      documents: [{ name: 'v.json', content: JSON.stringify(vpcs) }],
    });
    expect(fromText.nodes.map((n) => n.id)).toEqual(['aws:us-east-1:aws.ec2.vpc:vpc-1']);
  });
});
