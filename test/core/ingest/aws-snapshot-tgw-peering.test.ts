/**
 * A TGW peering attachment is listed by both sides in describe-transit-gateway-attachments, each with
 * its own TGW as TransitGatewayId and the peer TGW as ResourceId / ResourceOwnerId. Both views must
 * become one node, in the requester TGW's region and account.
 */
import { describe, expect, it } from 'vitest';
import { type AwsSnapshotDocument, parseAwsSnapshot } from '../../../src/core/ingest/index.ts';
import { edgeStrings, nodeById } from './helpers.ts';

const A = '111111111111';
const B = '222222222222';
const ATT = 'tgw-attach-0p';

const tgws = (account: string, region: string, id: string): AwsSnapshotDocument => ({
  name: `${account}/${region}/tgw.json`,
  account_id: account,
  region,
  content: { TransitGateways: [{ TransitGatewayId: id, OwnerId: account, State: 'available' }] },
});

/** One side's describe-transit-gateway-attachments. */
const view = (account: string, region: string, tgw: string, peer: string, peerOwner: string): AwsSnapshotDocument => ({
  name: `${account}/${region}/att.json`,
  account_id: account,
  region,
  content: {
    TransitGatewayAttachments: [
      {
        TransitGatewayAttachmentId: ATT,
        TransitGatewayId: tgw,
        TransitGatewayOwnerId: account,
        ResourceType: 'peering',
        ResourceId: peer,
        ResourceOwnerId: peerOwner,
        State: 'available',
        Association: { TransitGatewayRouteTableId: `tgw-rtb-${tgw.slice(4)}`, State: 'associated' },
      },
    ],
  },
});

const viewA = view(A, 'us-east-1', 'tgw-0a', 'tgw-0b', B);
const viewB = view(B, 'eu-west-1', 'tgw-0b', 'tgw-0a', A);
const attachments = (inv: ReturnType<typeof parseAwsSnapshot>) =>
  inv.nodes.filter((n) => n.type === 'aws.ec2.transit_gateway_attachment');

describe('aws_snapshot: TGW peering attachments from describe-transit-gateway-attachments', () => {
  it('merges both sides into one node owned by the requester TGW’s owner, in its region (attachments alone)', () => {
    for (const documents of [
      [tgws(A, 'us-east-1', 'tgw-0a'), tgws(B, 'eu-west-1', 'tgw-0b'), viewA, viewB],
      [tgws(B, 'eu-west-1', 'tgw-0b'), viewB, tgws(A, 'us-east-1', 'tgw-0a'), viewA],
      // no describe-transit-gateways: the regions come from where each side lists the attachment
      [viewB, viewA],
    ]) {
      const inv = parseAwsSnapshot({ documents });
      expect(attachments(inv).map((n) => n.id)).toEqual([`aws:us-east-1:aws.ec2.transit_gateway_attachment:${ATT}`]);
      const att = nodeById(inv, `aws:us-east-1:aws.ec2.transit_gateway_attachment:${ATT}`);
      expect(att.account).toBe(A);
      expect(att.native_id).toBe(`arn:aws:ec2:us-east-1:${A}:transit-gateway-attachment/${ATT}`);
      expect(att.attributes).toMatchObject({
        transit_gateway_id: 'tgw-0a',
        transit_gateway_owner_id: A,
        resource_type: 'peering',
        resource_id: 'tgw-0b',
        resource_owner_id: B,
        association_route_table_id: 'tgw-rtb-0a',
      });
    }
    const inv = parseAwsSnapshot({
      documents: [tgws(A, 'us-east-1', 'tgw-0a'), tgws(B, 'eu-west-1', 'tgw-0b'), viewB, viewA],
    });
    expect(edgeStrings(inv)).toEqual([`attached_to ${ATT} -> tgw-0a`, `attached_to ${ATT} -> tgw-0b`]);
  });

  it('places one side’s view in the requester side’s region when the peer TGW is in the input', () => {
    // Only account B lists the attachment; A's TGW (its id sorts first) is known from describe-transit-gateways.
    const inv = parseAwsSnapshot({
      documents: [tgws(A, 'us-east-1', 'tgw-0a'), tgws(B, 'eu-west-1', 'tgw-0b'), viewB],
    });
    const [att] = attachments(inv);
    expect(att?.id).toBe(`aws:us-east-1:aws.ec2.transit_gateway_attachment:${ATT}`);
    expect(att?.account).toBe(A);
    expect(att?.attributes).toMatchObject({
      transit_gateway_id: 'tgw-0a',
      transit_gateway_owner_id: A,
      resource_id: 'tgw-0b',
      resource_owner_id: B,
      association_route_table_id: null,
    });
  });

  it('keeps a view whose peer region is unknown in the listing side, owned by TransitGatewayOwnerId (not ResourceOwnerId)', () => {
    const inv = parseAwsSnapshot({ documents: [viewB] });
    const [att] = attachments(inv);
    expect(att?.id).toBe(`aws:eu-west-1:aws.ec2.transit_gateway_attachment:${ATT}`);
    expect(att?.account).toBe(B);
    expect(att?.native_id).toBe(`arn:aws:ec2:eu-west-1:${B}:transit-gateway-attachment/${ATT}`);
  });

  it('follows RequesterTgwInfo of describe-transit-gateway-peering-attachments when the input has it', () => {
    const peering: AwsSnapshotDocument = {
      name: `${A}/us-east-1/peering.json`,
      account_id: A,
      region: 'us-east-1',
      content: {
        TransitGatewayPeeringAttachments: [
          {
            TransitGatewayAttachmentId: ATT,
            RequesterTgwInfo: { TransitGatewayId: 'tgw-0b', OwnerId: B, Region: 'eu-west-1' },
            AccepterTgwInfo: { TransitGatewayId: 'tgw-0a', OwnerId: A, Region: 'us-east-1' },
            State: 'available',
          },
        ],
      },
    };
    const inv = parseAwsSnapshot({ documents: [viewA, peering, viewB] });
    expect(attachments(inv).map((n) => n.id)).toEqual([`aws:eu-west-1:aws.ec2.transit_gateway_attachment:${ATT}`]);
    const [att] = attachments(inv);
    expect(att?.account).toBe(B);
    // oriented from the requester, with the requester's association (the accepter's is in the other region)
    expect(att?.attributes).toMatchObject({
      transit_gateway_id: 'tgw-0b',
      resource_id: 'tgw-0a',
      resource_owner_id: A,
      association_route_table_id: 'tgw-rtb-0b',
    });
  });
});
