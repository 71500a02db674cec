/**
 * Public addresses of network interfaces: every private → public association
 * (`public_ip_associations`), not only the interface-level one, so an Elastic
 * IP on a secondary private address is kept with the address it belongs to.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { nodeId } from '../../../src/core/inventory/types.ts';
import { nodeById } from './helpers.ts';

const ACCT = '111111111111';
const E = 'us-east-1';
const id = (type: string, key: string) => nodeId('aws', E, type, key);
const ENI = id('aws.ec2.network_interface', 'eni-0web');
const INSTANCE = id('aws.ec2.instance', 'i-0web');

/** describe-instances output of web-01 with one interface holding the given private addresses. */
function instances(
  privateIps: { ip: string; publicIp?: string }[],
  opts: { eniAssociation?: string; instancePublicIp?: string } = {},
) {
  return {
    Reservations: [
      {
        ReservationId: 'r-1',
        OwnerId: ACCT,
        Instances: [
          {
            InstanceId: 'i-0web',
            InstanceType: 't3.micro',
            State: { Code: 16, Name: 'running' },
            Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' },
            PrivateIpAddress: privateIps[0]!.ip,
            ...(opts.instancePublicIp ? { PublicIpAddress: opts.instancePublicIp } : {}),
            SubnetId: 'subnet-0a01',
            VpcId: 'vpc-0aaa',
            SecurityGroups: [{ GroupId: 'sg-0web', GroupName: 'web' }],
            Tags: [{ Key: 'Name', Value: 'web-01' }],
            NetworkInterfaces: [
              {
                ...(opts.eniAssociation
                  ? { Association: { IpOwnerId: 'amazon', PublicDnsName: '', PublicIp: opts.eniAssociation } }
                  : {}),
                Attachment: { AttachmentId: 'eni-attach-0web', DeviceIndex: 0, Status: 'attached' },
                Groups: [{ GroupId: 'sg-0web', GroupName: 'web' }],
                NetworkInterfaceId: 'eni-0web',
                OwnerId: ACCT,
                PrivateIpAddress: privateIps[0]!.ip,
                PrivateIpAddresses: privateIps.map((p, i) => ({
                  Primary: i === 0,
                  PrivateIpAddress: p.ip,
                  ...(p.publicIp ? { Association: { IpOwnerId: ACCT, PublicDnsName: '', PublicIp: p.publicIp } } : {}),
                })),
                SourceDestCheck: true,
                Status: 'in-use',
                SubnetId: 'subnet-0a01',
                VpcId: 'vpc-0aaa',
                InterfaceType: 'interface',
              },
            ],
          },
        ],
      },
    ],
  };
}

function address(publicIp: string, privateIp: string) {
  return {
    Addresses: [
      {
        InstanceId: 'i-0web',
        PublicIp: publicIp,
        AllocationId: 'eipalloc-0w',
        AssociationId: 'eipassoc-0w',
        Domain: 'vpc',
        NetworkInterfaceId: 'eni-0web',
        NetworkInterfaceOwnerId: ACCT,
        PrivateIpAddress: privateIp,
        Tags: [],
      },
    ],
  };
}

function parse(documents: Record<string, unknown>) {
  return parseAwsSnapshot({
    account_id: ACCT,
    region: E,
    documents: Object.entries(documents).map(([name, content]) => ({ name, content })),
  });
}

describe('aws_snapshot: public addresses of each private address of an interface', () => {
  it('keeps an Elastic IP of a secondary address (PrivateIpAddresses[].Association) with that address', () => {
    const inv = parse({
      'ec2-describe-instances.json': instances([{ ip: '10.0.1.10' }, { ip: '10.0.1.11', publicIp: '52.9.9.9' }]),
    });
    expect(nodeById(inv, ENI).attributes).toMatchObject({
      private_ips: ['10.0.1.10', '10.0.1.11'],
      // public_ip stays the primary address's: it has none.
      public_ip: null,
      public_ip_associations: [{ private_ip: '10.0.1.11', public_ip: '52.9.9.9' }],
    });
    expect(nodeById(inv, INSTANCE).attributes.public_ip).toBeNull();
  });

  it('lists every association, primary first; public_ip is the interface-level (primary) one', () => {
    const inv = parse({
      'ec2-describe-instances.json': instances(
        [{ ip: '10.0.1.10', publicIp: '3.3.3.3' }, { ip: '10.0.1.11', publicIp: '52.9.9.9' }, { ip: '10.0.1.12' }],
        { eniAssociation: '3.3.3.3', instancePublicIp: '3.3.3.3' },
      ),
    });
    expect(nodeById(inv, ENI).attributes).toMatchObject({
      public_ip: '3.3.3.3',
      public_ip_associations: [
        { private_ip: '10.0.1.10', public_ip: '3.3.3.3' },
        { private_ip: '10.0.1.11', public_ip: '52.9.9.9' },
      ],
    });
  });

  it('an Elastic IP from describe-addresses on a secondary address fills that address only', () => {
    const inv = parse({
      'ec2-describe-instances.json': instances([{ ip: '10.0.1.10' }, { ip: '10.0.1.11' }]),
      'ec2-describe-addresses.json': address('52.9.9.9', '10.0.1.11'),
    });
    expect(nodeById(inv, ENI).attributes).toMatchObject({
      public_ip: null,
      public_ip_associations: [{ private_ip: '10.0.1.11', public_ip: '52.9.9.9' }],
    });
    expect(nodeById(inv, INSTANCE).attributes.public_ip).toBeNull();
  });

  it('an Elastic IP from describe-addresses on the primary address still fills public_ip', () => {
    const inv = parse({
      'ec2-describe-instances.json': instances([{ ip: '10.0.1.10' }]),
      'ec2-describe-addresses.json': address('52.8.8.8', '10.0.1.10'),
    });
    expect(nodeById(inv, ENI).attributes).toMatchObject({
      public_ip: '52.8.8.8',
      public_ip_associations: [{ private_ip: '10.0.1.10', public_ip: '52.8.8.8' }],
    });
    expect(nodeById(inv, INSTANCE).attributes.public_ip).toBe('52.8.8.8');
  });
});

describe('terraform_state: an aws_eip associated with a secondary private address', () => {
  it('does not become the instance’s public_ip', () => {
    const R = (type: string, name: string, attributes: Record<string, unknown>) => ({
      mode: 'managed',
      type,
      name,
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 0, attributes }],
    });
    const state = (privateIp: string) => ({
      version: 4,
      terraform_version: '1.9.0',
      serial: 1,
      lineage: 'eip-secondary',
      outputs: {},
      resources: [
        R('aws_instance', 'web', {
          id: 'i-0web',
          arn: `arn:aws:ec2:${E}:${ACCT}:instance/i-0web`,
          subnet_id: 'subnet-0a01',
          private_ip: '10.0.1.10',
          secondary_private_ips: ['10.0.1.11'],
          public_ip: '',
          vpc_security_group_ids: [],
          instance_state: 'running',
          availability_zone: 'us-east-1a',
          tags: { Name: 'web-01' },
        }),
        R('aws_eip', 'web', {
          id: 'eipalloc-0w',
          allocation_id: 'eipalloc-0w',
          association_id: 'eipassoc-0w',
          domain: 'vpc',
          instance: 'i-0web',
          network_interface: '',
          private_ip: privateIp,
          public_ip: '52.9.9.9',
        }),
      ],
    });
    expect(nodeById(parseTerraformState(state('10.0.1.11')), INSTANCE).attributes.public_ip).toBeFalsy();
    expect(nodeById(parseTerraformState(state('10.0.1.10')), INSTANCE).attributes.public_ip).toBe('52.9.9.9');
  });
});
