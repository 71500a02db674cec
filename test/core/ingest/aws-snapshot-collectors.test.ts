import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot } from '../../../src/core/ingest/index.ts';
import { edgeStrings, nodeById } from './helpers.ts';

const LB = 'arn:aws:elasticloadbalancing:us-west-2:777777777777:loadbalancer/app/portal/1111111111111111';
const TG = 'arn:aws:elasticloadbalancing:us-west-2:777777777777:targetgroup/portal/2222222222222222';

/** One Batfish-style file per region holding several keys, with the collectors' per-object lists. */
const region = {
  Vpcs: [{ VpcId: 'vpc-7', CidrBlock: '10.7.0.0/16', State: 'available', OwnerId: '777777777777', IsDefault: false }],
  VpnGateways: [
    {
      State: 'available',
      Type: 'ipsec.1',
      VpcAttachments: [{ State: 'attached', VpcId: 'vpc-7' }],
      VpnGatewayId: 'vgw-7',
      AmazonSideAsn: 64512,
      Tags: [{ Key: 'Name', Value: 'office' }],
    },
    {
      State: 'deleted',
      Type: 'ipsec.1',
      VpcAttachments: [{ State: 'detached', VpcId: 'vpc-7' }],
      VpnGatewayId: 'vgw-8',
      Tags: [],
    },
  ],
  TransitGatewayRouteTables: [
    { TransitGatewayRouteTableId: 'tgw-rtb-7', TransitGatewayId: 'tgw-7', State: 'available' },
  ],
  TransitGatewayStaticRoutes: [
    {
      TransitGatewayRouteTableId: 'tgw-rtb-7',
      AdditionalRoutesAvailable: false,
      Routes: [
        {
          DestinationCidrBlock: '10.0.0.0/8',
          TransitGatewayAttachments: [
            { ResourceId: 'vpc-7', TransitGatewayAttachmentId: 'tgw-attach-7', ResourceType: 'vpc' },
          ],
          Type: 'static',
          State: 'active',
        },
      ],
    },
  ],
  TransitGatewayPeeringAttachments: [
    {
      TransitGatewayAttachmentId: 'tgw-attach-p',
      RequesterTgwInfo: { TransitGatewayId: 'tgw-7', OwnerId: '777777777777', Region: 'us-west-2' },
      AccepterTgwInfo: { TransitGatewayId: 'tgw-8', OwnerId: '888888888888', Region: 'eu-west-1' },
      Status: { Code: 'available', Message: 'Available' },
      State: 'available',
      Tags: [],
    },
  ],
  LoadBalancers: [
    {
      LoadBalancerArn: LB,
      DNSName: 'internal-portal.us-west-2.elb.amazonaws.com',
      LoadBalancerName: 'portal',
      Scheme: 'internal',
      VpcId: 'vpc-7',
      State: { Code: 'active' },
      Type: 'application',
      AvailabilityZones: [],
      SecurityGroups: ['sg-7'],
    },
  ],
  TargetGroups: [
    {
      TargetGroupArn: TG,
      TargetGroupName: 'portal',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: 'vpc-7',
      TargetType: 'instance',
      LoadBalancerArns: [],
    },
  ],
  LoadBalancerListeners: [
    {
      LoadBalancerArn: LB,
      Listeners: [{ Port: 443, Protocol: 'HTTPS', DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }],
    },
  ],
  LoadBalancerTargetHealth: [
    {
      TargetGroupArn: TG,
      TargetHealthDescriptions: [
        { Target: { Id: 'i-7' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'i-8', Port: 9090 }, TargetHealth: { State: 'unhealthy' } },
      ],
    },
  ],
  LoadBalancerAttributes: [
    { LoadBalancerArn: LB, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] },
  ],
};

describe('aws_snapshot: collector formats (several keys per file, per-object lists)', () => {
  const inv = parseAwsSnapshot({
    documents: [{ name: 'aws_configs/us-west-2/region.json', region: 'us-west-2', content: region }],
  });

  it('reads VPN gateways, keeping deleted ones with their state', () => {
    expect(nodeById(inv, 'aws:us-west-2:aws.ec2.vpn_gateway:vgw-7').attributes).toEqual({
      vpn_gateway_id: 'vgw-7',
      state: 'available',
      attachments: [{ vpc_id: 'vpc-7', state: 'attached' }],
      amazon_side_asn: 64512,
      availability_zone: null,
      type: 'ipsec.1',
    });
    expect(nodeById(inv, 'aws:us-west-2:aws.ec2.vpn_gateway:vgw-8').attributes.state).toBe('deleted');
    expect(edgeStrings(inv, (e) => e.source_id.includes('vpn_gateway'))).toEqual(['attached_to vgw-7 -> vpc-7']);
  });

  it('reads per-route-table static routes and peering attachments', () => {
    expect(nodeById(inv, 'aws:us-west-2:aws.ec2.transit_gateway_route_table:tgw-rtb-7').attributes.routes).toEqual([
      {
        destination_cidr: '10.0.0.0/8',
        prefix_list_id: null,
        type: 'static',
        state: 'active',
        attachment_ids: ['tgw-attach-7'],
      },
    ]);
    expect(nodeById(inv, 'aws:us-west-2:aws.ec2.transit_gateway_attachment:tgw-attach-p').attributes).toMatchObject({
      transit_gateway_id: 'tgw-7',
      resource_type: 'peering',
      resource_id: 'tgw-8',
      resource_owner_id: '888888888888',
      requester: { transit_gateway_id: 'tgw-7', owner_id: '777777777777', region: 'us-west-2' },
      accepter: { transit_gateway_id: 'tgw-8', owner_id: '888888888888', region: 'eu-west-1' },
    });
  });

  it('reads per-load-balancer listeners, attributes and per-group target health', () => {
    expect(nodeById(inv, 'aws:us-west-2:aws.elbv2.load_balancer:777777777777/portal').attributes).toMatchObject({
      scheme: 'internal',
      security_group_ids: ['sg-7'],
      listeners: [{ port: 443, protocol: 'HTTPS' }],
      target_ids: ['i-7', 'i-8'],
      targets: [
        { id: 'i-7', port: 8080 },
        { id: 'i-8', port: 9090 },
      ],
      load_balancer_attributes: { 'deletion_protection.enabled': 'true' },
    });
    expect(nodeById(inv, 'aws:us-west-2:aws.elbv2.target_group:777777777777/portal').attributes).toMatchObject({
      load_balancer_arns: [LB],
      targets: [
        { id: 'i-7', port: null, health: 'healthy' },
        { id: 'i-8', port: 9090, health: 'unhealthy' },
      ],
    });
  });
});
