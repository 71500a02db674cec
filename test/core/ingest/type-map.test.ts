import { describe, expect, it } from 'vitest';
import { awsTypeForNativeId, cloudOfTerraformType, infracastTypeForTerraform } from '../../../src/core/ingest/index.ts';
import {
  normaliseNaclIcmp,
  normaliseNaclPortRange,
  normaliseProtocol,
  normaliseSgPorts,
  parseArn,
  regionFromAvailabilityZone,
} from '../../../src/core/ingest/values.ts';
import { UNKNOWN } from '../../../src/core/inventory/types.ts';

describe('Terraform type → Infracast type', () => {
  it.each([
    ['aws_instance', 'aws.ec2.instance'],
    ['aws_security_group', 'aws.ec2.security_group'],
    ['aws_default_security_group', 'aws.ec2.security_group'],
    ['aws_s3_bucket', 'aws.s3.bucket'],
    ['aws_iam_role', 'aws.iam.role'],
    ['aws_lb', 'aws.elbv2.load_balancer'],
    ['aws_alb', 'aws.elbv2.load_balancer'],
    ['aws_db_instance', 'aws.rds.db_instance'],
    ['aws_ec2_transit_gateway_vpc_attachment', 'aws.ec2.transit_gateway_attachment'],
    ['aws_vpc_peering_connection_accepter', 'aws.ec2.vpc_peering_connection'],
    // generic: aws_<service>_<thing>
    ['aws_kms_key', 'aws.kms.key'],
    ['aws_cloudwatch_log_group', 'aws.cloudwatch.log_group'],
    ['aws_iam_role_policy_attachment', 'aws.iam.role_policy_attachment'],
    ['aws_elb', 'aws.elb.load_balancer'],
    ['aws_ami', 'aws.ec2.ami'],
    ['aws_cloudtrail', 'aws.cloudtrail.trail'],
    ['aws_wafv2', 'aws.wafv2'],
    ['azurerm_virtual_network', 'azure.virtual_network'],
    ['azurerm_resource_group', 'azure.resource_group'],
    ['google_compute_instance', 'google.compute.instance'],
    ['google_storage_bucket', 'google.storage.bucket'],
  ])('%s → %s', (tf, infracast) => {
    expect(infracastTypeForTerraform(tf)).toBe(infracast);
  });

  it('has no type for non-cloud providers', () => {
    expect(infracastTypeForTerraform('random_id')).toBeNull();
    expect(cloudOfTerraformType('null_resource')).toBeNull();
    expect(cloudOfTerraformType('azuread_group')).toBe('azure');
  });

  it('tells an EC2 id’s type from its prefix', () => {
    expect(awsTypeForNativeId('sg-0123')).toBe('aws.ec2.security_group');
    expect(awsTypeForNativeId('tgw-attach-0123')).toBe('aws.ec2.transit_gateway_attachment');
    expect(awsTypeForNativeId('tgw-rtb-0123')).toBe('aws.ec2.transit_gateway_route_table');
    expect(awsTypeForNativeId('tgw-0123')).toBe('aws.ec2.transit_gateway');
    expect(awsTypeForNativeId('i-0123')).toBe('aws.ec2.instance');
    expect(awsTypeForNativeId('local')).toBeNull();
  });
});

describe('normalisation helpers', () => {
  it('turns protocols into IP protocol numbers', () => {
    expect(
      ['tcp', 'TCP', 'udp', 'icmp', 'icmpv6', 'all', '-1', -1, '6', 50, '', 'gre-ish'].map(normaliseProtocol),
    ).toEqual(['6', '6', '17', '1', '58', '-1', '-1', '-1', '6', '50', '-1', 'gre-ish']);
    expect(normaliseProtocol(UNKNOWN)).toEqual(UNKNOWN);
  });

  it('normalises security group ports', () => {
    expect(normaliseSgPorts('-1', 0, 0)).toEqual({ from_port: null, to_port: null });
    expect(normaliseSgPorts('6', 0, 65535)).toEqual({ from_port: null, to_port: null });
    expect(normaliseSgPorts('6', 22, 22)).toEqual({ from_port: 22, to_port: 22 });
    expect(normaliseSgPorts('1', 8, -1)).toEqual({ from_port: 8, to_port: -1 });
    expect(normaliseSgPorts('1', -1, -1)).toEqual({ from_port: -1, to_port: -1 });
    expect(normaliseSgPorts('50', undefined, undefined)).toEqual({ from_port: null, to_port: null });
    expect(normaliseSgPorts('6', UNKNOWN, 80)).toEqual({ from_port: UNKNOWN, to_port: 80 });
  });

  it('normalises NACL port ranges and ICMP', () => {
    expect(normaliseNaclPortRange('6', 80, 80)).toEqual({ from: 80, to: 80 });
    expect(normaliseNaclPortRange('6', 0, 65535)).toBeNull();
    expect(normaliseNaclPortRange('-1', 0, 0)).toBeNull();
    expect(normaliseNaclPortRange('1', 0, 0)).toBeNull();
    expect(normaliseNaclIcmp('1', 8, 0)).toEqual({ type: 8, code: 0 });
    expect(normaliseNaclIcmp('1', -1, -1)).toBeNull();
    expect(normaliseNaclIcmp('6', 0, 0)).toBeNull();
  });

  it('reads regions from zones and ARNs', () => {
    expect(regionFromAvailabilityZone('us-east-1a')).toBe('us-east-1');
    expect(regionFromAvailabilityZone('us-west-2-lax-1a')).toBe('us-west-2');
    expect(regionFromAvailabilityZone('us-gov-west-1b')).toBe('us-gov-west-1');
    expect(regionFromAvailabilityZone('us-east-1')).toBeNull();
    expect(parseArn('arn:aws:iam::123456789012:role/path/name')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      account: '123456789012',
      resource: 'role/path/name',
    });
    expect(parseArn('arn:aws:logs:us-east-1:1:log-group:/a:*')?.resource).toBe('log-group:/a:*');
    expect(parseArn('sg-123')).toBeNull();
  });
});
