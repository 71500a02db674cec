/**
 * AWS snapshot parser: the JSON that AWS CLI describe/list calls print, one
 * document per call, each recognised by its top-level key (`Vpcs`,
 * `Reservations`, `SecurityGroups`…). A document may hold several keys (the
 * Batfish layout does). Documents whose keys are all unknown are reported in
 * `skipped_documents`; a recognised key with a malformed value throws an
 * IngestError naming the document and the field.
 *
 * Keys are processed in a fixed order across all documents (VPCs before
 * subnets, route tables before their routes, target groups before their
 * health) so data that completes another object finds it, whatever the order
 * of the documents.
 */
import type { NodeInput, ParsedInventory } from '../inventory/types.ts';
import {
  customerGatewayAttributes,
  dbInstanceAttributes,
  egressOnlyInternetGatewayAttributes,
  elasticIpAttributes,
  iamGroupAttributes,
  iamInstanceProfileAttributes,
  iamPolicyAttributes,
  iamRoleAttributes,
  iamUserAttributes,
  instanceAttributes,
  internetGatewayAttributes,
  lambdaFunctionAttributes,
  loadBalancerAttributes,
  natGatewayAttributes,
  networkAclAttributes,
  networkInterfaceAttributes,
  prefixListAttributes,
  routeTableAttributes,
  securityGroupAttributes,
  subnetAttributes,
  targetGroupAttributes,
  transitGatewayAttachmentAttributes,
  transitGatewayAttributes,
  transitGatewayPeeringAttachmentAttributes,
  transitGatewayRoute,
  transitGatewayRouteTableAttributes,
  transitGatewayVpcAttachmentAttributes,
  vpcAttributes,
  vpcEndpointAttributes,
  vpcPeeringConnectionAttributes,
  vpnConnectionAttributes,
  vpnGatewayAttributes,
} from './aws-shapes.ts';
import { InventoryBuilder } from './builder.ts';
import { ingestError, parseJsonText } from './errors.ts';
import { linkInventory } from './link.ts';
import {
  ACCOUNT_SCOPED_NAME_TYPES,
  AWS_TYPES,
  type AwsType,
  accountScopedKey,
  EC2_ARN_RESOURCE_TYPES,
} from './type-map.ts';
import {
  at,
  bool,
  dedupe,
  ec2Arn,
  isRecord,
  mergeListener,
  num,
  parseArn,
  partitionForRegion,
  type Rec,
  recList,
  regionFromAvailabilityZone,
  ruleReach,
  str,
  strList,
  tagsFromAwsList,
} from './values.ts';

export interface AwsSnapshotDocument {
  /** File name or path; used in errors and to find the route table / prefix list a document belongs to. */
  name: string;
  region?: string;
  account_id?: string;
  content: unknown;
}

export interface AwsSnapshotInput {
  /** Default account for documents that do not say (objects' OwnerId / ARN win). */
  account_id?: string;
  /** Default region for documents that do not say (ARNs and availability zones win). */
  region?: string;
  documents: AwsSnapshotDocument[];
}

const T = AWS_TYPES;

/** Top-level keys that carry no resources (pagination, request metadata): ignored. */
const IGNORED_KEYS = new Set([
  'NextToken',
  'NextMarker',
  'Marker',
  'IsTruncated',
  'ResponseMetadata',
  'AdditionalRoutesAvailable',
  'Owner',
  'ContinuationToken',
  'Prefix',
  // wrapper context fields (read by the handlers that need them)
  'TransitGatewayRouteTableId',
  'PrefixListId',
  'TargetGroupArn',
  'LoadBalancerArn',
]);

export function parseAwsSnapshot(input: AwsSnapshotInput): ParsedInventory {
  const documents = validateInput(input);
  const b = new InventoryBuilder();
  const snapshot = new Snapshot(b, input);
  const byKey = new Map<string, DocContext[]>();

  for (const doc of documents) {
    const content =
      typeof doc.content === 'string' && doc.content.trim() !== '' ? parseJsonText(doc.content, doc.name) : doc.content;
    if (content === null || content === undefined || content === '') continue;
    if (!isRecord(content)) {
      b.skipDocument(doc.name);
      b.warn(`document "${doc.name}": not a JSON object, skipped`);
      continue;
    }
    const keys = Object.keys(content);
    const recognised: string[] = [];
    for (const key of keys) {
      if (!HANDLERS.has(key)) continue;
      const foreign = foreignShape(key, content[key]);
      if (foreign === null) recognised.push(key);
      else b.warn(`document "${doc.name}": ${foreign}: another AWS service's output, not read`);
    }
    if (recognised.length === 0) {
      if (keys.some((k) => !IGNORED_KEYS.has(k))) b.skipDocument(doc.name);
      continue;
    }
    const ctx = snapshot.context(doc, content);
    for (const key of recognised) {
      const list = byKey.get(key) ?? [];
      list.push(ctx);
      byKey.set(key, list);
    }
  }

  for (const ctx of byKey.get('TransitGatewayAttachments') ?? []) snapshot.notePeeringViews(ctx);
  for (const [key, handle] of HANDLERS) {
    for (const ctx of byKey.get(key) ?? []) handle(ctx, ctx.content[key], key);
  }
  snapshot.finish();
  linkInventory(b);
  return b.result();
}

function validateInput(input: unknown): AwsSnapshotDocument[] {
  if (!isRecord(input)) throw ingestError(null, null, 'AWS snapshot input must be an object with a documents array');
  if (!Array.isArray(input.documents)) throw ingestError(null, 'documents', 'must be an array');
  for (const key of ['account_id', 'region'] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'string') throw ingestError(null, key, 'must be a string');
  }
  input.documents.forEach((doc, i) => {
    if (!isRecord(doc)) throw ingestError(null, `documents[${i}]`, 'must be an object');
    if (typeof doc.name !== 'string' || doc.name === '')
      throw ingestError(null, `documents[${i}].name`, 'must be a string');
    for (const key of ['account_id', 'region'] as const) {
      if (doc[key] !== undefined && typeof doc[key] !== 'string') throw ingestError(doc.name, key, 'must be a string');
    }
  });
  return input.documents as AwsSnapshotDocument[];
}

/**
 * Top-level keys that other AWS services print too, with what their items look like when they are
 * the output this parser reads. A list none of whose items has that shape is another service's
 * (organizations list-policies, cognito-idp / identitystore list-users, globalaccelerator
 * list-listeners, snowball describe-addresses, ssm list-associations, classic ELB
 * describe-load-balancer-attributes…): the key is not read, with a warning. An empty list is
 * recognised (it says the scope has none); an item of the right shape with a malformed required field
 * still fails the job.
 */
const IAM_ARN = /^arn:[^:]+:iam::/;
const ELBV2_ARN = /^arn:[^:]+:elasticloadbalancing:/;
/** `arn:…:elasticloadbalancing:<region>:<account>:listener-rule/<kind>/<lb-name>/<lb-id>/<listener-id>/<rule-id>`. */
const ELBV2_RULE_ARN =
  /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)listener-rule\/([^/]+\/[^/]+\/[^/]+)\/([^/]+)\/[^/]+$/;

interface DocumentShape {
  /** What the handler reads, e.g. 'IAM users'. */
  what: string;
  /** What such an item has, e.g. 'an Arn arn:<partition>:iam::…'. */
  has: string;
  matches: (item: Rec) => boolean;
}

const iamShape = (what: string): DocumentShape => ({
  what: `IAM ${what}`,
  has: 'an Arn arn:<partition>:iam::…',
  matches: (o) => IAM_ARN.test(String(o.Arn)),
});

const DOCUMENT_SHAPES = new Map<string, DocumentShape>([
  ['Roles', iamShape('roles')],
  ['RoleDetailList', iamShape('roles')],
  ['Users', iamShape('users')],
  ['UserDetailList', iamShape('users')],
  ['GroupDetailList', iamShape('groups')],
  ['Policies', iamShape('policies')],
  ['InstanceProfiles', iamShape('instance profiles')],
  [
    'Listeners',
    {
      what: 'ELBv2 listeners',
      has: 'a ListenerArn or LoadBalancerArn arn:<partition>:elasticloadbalancing:…',
      matches: (o) => ELBV2_ARN.test(String(o.ListenerArn)) || ELBV2_ARN.test(String(o.LoadBalancerArn)),
    },
  ],
  [
    'Rules',
    {
      what: 'ELBv2 listener rules',
      has: 'a RuleArn arn:<partition>:elasticloadbalancing:…:listener-rule/…',
      matches: (o) => ELBV2_RULE_ARN.test(String(o.RuleArn)),
    },
  ],
  [
    'LoadBalancerAttributes',
    { what: 'ELBv2 attributes per load balancer', has: 'a LoadBalancerArn', matches: (o) => 'LoadBalancerArn' in o },
  ],
  [
    'TargetGroupAttributes',
    { what: 'ELBv2 attributes per target group', has: 'a TargetGroupArn', matches: (o) => 'TargetGroupArn' in o },
  ],
  [
    'Addresses',
    {
      what: 'EC2 Elastic IPs',
      has: 'a PublicIp or AllocationId',
      matches: (o) => 'PublicIp' in o || 'AllocationId' in o,
    },
  ],
  [
    'Associations',
    {
      what: 'transit gateway route table associations',
      has: 'a TransitGatewayAttachmentId',
      matches: (o) => 'TransitGatewayAttachmentId' in o,
    },
  ],
  ['Entries', { what: 'managed prefix list entries', has: 'a Cidr', matches: (o) => 'Cidr' in o }],
  [
    'Buckets',
    { what: 'S3 buckets', has: 'a Name or CreationDate', matches: (o) => 'Name' in o || 'CreationDate' in o },
  ],
  [
    'Volumes',
    {
      what: 'EBS volumes',
      has: 'a VolumeId vol-…',
      matches: (o) => typeof o.VolumeId === 'string' && o.VolumeId.startsWith('vol-'),
    },
  ],
]);

/** The keys of a document's content this parser reads: recognised, and of the shape it reads. */
export function readableDocumentKeys(content: Record<string, unknown>): string[] {
  return Object.keys(content).filter((k) => HANDLERS.has(k) && foreignShape(k, content[k]) === null);
}

/** Why `value` under `key` is not what the key's handler reads (another service's output), or null when it is. */
function foreignShape(key: string, value: unknown): string | null {
  const shape = DOCUMENT_SHAPES.get(key);
  if (shape === undefined) return null;
  if (!Array.isArray(value)) return `${key} is not a list of ${shape.what}`;
  if (value.length === 0 || value.some((item) => isRecord(item) && shape.matches(item))) return null;
  return `${key} are not ${shape.what} (no item has ${shape.has})`;
}

/** ELBv2 `Attributes` (`[{Key, Value}]`) as a map of strings. */
function attributeMap(list: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const attr of recList(list)) {
    const k = str(attr.Key);
    if (k !== null) map[k] = typeof attr.Value === 'string' ? attr.Value : String(attr.Value ?? '');
  }
  return map;
}

/** The four settings of an S3 public access block, as Terraform's aws_s3_*_public_access_block name them. */
function publicAccessBlockFlags(v: Rec): Rec {
  return {
    block_public_acls: bool(v.BlockPublicAcls),
    block_public_policy: bool(v.BlockPublicPolicy),
    ignore_public_acls: bool(v.IgnorePublicAcls),
    restrict_public_buckets: bool(v.RestrictPublicBuckets),
  };
}

function addBucketPublicAccessBlock(ctx: DocContext, bucket: string, settings: Rec): void {
  ctx.addNode(
    T.s3BucketPublicAccessBlock,
    bucket,
    { bucket, ...publicAccessBlockFlags(settings) },
    { global: true, displayName: bucket },
  );
}

/** `policy` as aws_s3_bucket_policy keeps it (JSON text; "" for none), checked to be a JSON object. */
function addBucketPolicy(ctx: DocContext, bucket: string, policy: string, field: string): void {
  if (policy !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      throw ingestError(ctx.doc, field, 'must be the policy as JSON text');
    }
    if (!isRecord(parsed)) throw ingestError(ctx.doc, field, 'must be a JSON object (a policy document)');
  }
  ctx.addNode(T.s3BucketPolicy, bucket, { bucket, policy }, { global: true, displayName: bucket });
}

/** Characters that may separate a bucket's name from the rest of a document's file name. */
const NAME_SEPARATOR = /[-_.=@+ ]$/;

/**
 * Which bucket or account a per-bucket S3 document is about. `Bucket` (or `AccountId`) beside the settings
 * says it; otherwise the document's name: a folder named as a bucket of the input, or a file name that is a
 * bucket's name or ends with one after a separator (the longest such bucket: `logs` and `prod-logs` both end
 * `public-access-block-prod-logs`). A file name that names no bucket but `s3control` or `account` is the
 * account's setting. Null when it cannot be told.
 */
function s3DocumentTarget(ctx: DocContext): { bucket: string } | { account: string } | null {
  const bucket = str(ctx.content.Bucket);
  if (bucket !== null) return { bucket };
  const accountId = str(ctx.content.AccountId);
  if (accountId !== null) return { account: accountId };
  const segments = ctx.doc.split(/[\\/]/).filter((x) => x !== '');
  const stem = (segments.pop() ?? '').replace(/\.json$/i, '');
  const buckets = new Set<string>();
  for (const node of ctx.b.allNodes()) {
    const name = node.type === T.s3Bucket ? str(node.attributes.bucket) : null;
    if (name !== null) buckets.add(name);
  }
  let best: string | null = null;
  for (const name of buckets) {
    const ends =
      stem === name || (stem.endsWith(name) && NAME_SEPARATOR.test(stem.slice(0, stem.length - name.length)));
    if ((ends || segments.includes(name)) && (best === null || name.length > best.length)) best = name;
  }
  if (best !== null) return { bucket: best };
  if (/s3control|account/i.test(stem) && ctx.account !== null) return { account: ctx.account };
  return null;
}

/** A KMS key id (a UUID, or a multi-Region key's `mrk-` id) in a document's name. */
const KEY_ID_IN_NAME = /(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

/** A transit gateway as one side of a TGW peering attachment. */
interface PeeringSide {
  tgw: string | null;
  owner: string | null;
  region: string | null;
}

const PEERING_RESOURCE_TYPES = new Set(['peering', 'tgw-peering']);

/** State shared across documents. */
class Snapshot {
  /** Requester side of TGW peering attachments (describe-transit-gateway-peering-attachments), by attachment id. */
  readonly peeringRequesters = new Map<string, PeeringSide>();
  /** Region of each TGW that lists a peering attachment in describe-transit-gateway-attachments. */
  private readonly peeringViewRegions = new Map<string, string>();

  constructor(
    readonly b: InventoryBuilder,
    private readonly input: AwsSnapshotInput,
  ) {}

  context(doc: AwsSnapshotDocument, content: Rec): DocContext {
    return new DocContext(
      this,
      doc.name,
      content,
      doc.region ?? this.input.region ?? null,
      doc.account_id ?? this.input.account_id ?? null,
    );
  }

  /**
   * Notes, before any document is read, the region each TGW lists its peering attachments in, so a
   * peering attachment listed by one side can be placed in the other side's region.
   */
  notePeeringViews(ctx: DocContext): void {
    const items = ctx.content.TransitGatewayAttachments;
    if (!Array.isArray(items) || ctx.region === null) return;
    for (const o of items) {
      if (!isRecord(o) || !PEERING_RESOURCE_TYPES.has(String(o.ResourceType))) continue;
      const tgw = str(o.TransitGatewayId);
      if (tgw !== null && !this.peeringViewRegions.has(tgw)) this.peeringViewRegions.set(tgw, ctx.region);
    }
  }

  /** A TGW's region: its node's (describe-transit-gateways), else where it lists peering attachments. */
  tgwRegion(tgw: string | null): string | null {
    if (tgw === null) return null;
    const node = this.b.find(T.transitGateway, tgw);
    if (node !== undefined && node.region !== 'global') return node.region;
    return this.peeringViewRegions.get(tgw) ?? null;
  }

  /**
   * The requester side of a TGW peering attachment seen from `local` (the TGW whose account listed it)
   * towards `peer`: RequesterTgwInfo of describe-transit-gateway-peering-attachments when the input has
   * it. describe-transit-gateway-attachments alone does not say which side requested (each side lists
   * the attachment with its own TGW as TransitGatewayId, and the other as ResourceId), so both sides
   * agree on the side whose TGW id sorts first, when its region is known (its TGW or its own listing is
   * in the input); else the listing side.
   */
  peeringRequester(id: string, local: PeeringSide, peer: PeeringSide): PeeringSide {
    const known = this.peeringRequesters.get(id);
    if (known !== undefined) return known;
    if (peer.tgw !== null && local.tgw !== null && peer.tgw < local.tgw && peer.region !== null) return peer;
    return local;
  }

  /** Completes what only the sum of documents knows: which attachments each TGW route table has associated. */
  finish(): void {
    for (const node of this.b.allNodes()) {
      if (node.type !== T.transitGatewayAttachment) continue;
      const rtId = str(node.attributes.association_route_table_id);
      if (rtId === null) continue;
      const rt = this.b.find(T.transitGatewayRouteTable, rtId, node.region);
      if (rt !== undefined) pushUnique(rt.attributes as Rec, 'association_attachment_ids', [attachmentId(node)]);
    }
  }
}

const attachmentId = (node: NodeInput): string => String(node.attributes.transit_gateway_attachment_id);

interface NodeOptions {
  tags?: Record<string, string>;
  arn?: string | null;
  /** Overrides the document region (the object's own region: ARN, availability zone, peering requester). */
  region?: string | null;
  /** The owning account when the object says (OwnerId); else the document's. */
  account?: string | null;
  /** Human name when there is no Name tag (defaults to the native id). */
  displayName?: string;
  aliases?: (string | null)[];
  global?: boolean;
}

class DocContext {
  private warnedRegion = false;

  constructor(
    readonly snapshot: Snapshot,
    readonly doc: string,
    readonly content: Rec,
    readonly region: string | null,
    readonly account: string | null,
  ) {}

  get b(): InventoryBuilder {
    return this.snapshot.b;
  }

  /** A top-level (or nested) list of objects; anything else is malformed. */
  objects(v: unknown, path: string): Rec[] {
    if (!Array.isArray(v)) throw ingestError(this.doc, path, 'must be an array');
    v.forEach((item, i) => {
      if (!isRecord(item)) throw ingestError(this.doc, at(path, i), 'must be an object');
    });
    return v as Rec[];
  }

  id(o: Rec, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') throw ingestError(this.doc, at(path, key), 'must be a string');
    return v;
  }

  /** Wrapper context (`{TransitGatewayRouteTableId, Routes}`) or an id in the document name. */
  contextId(wrapperKey: string, pattern: RegExp): string | null {
    return str(this.content[wrapperKey]) ?? pattern.exec(this.doc)?.[0] ?? null;
  }

  addNode(type: AwsType, id: string, attributes: Rec, options: NodeOptions = {}): NodeInput {
    const arn = options.arn ?? null;
    const parsed = parseArn(arn);
    const account = options.account ?? (parsed?.account || null) ?? this.account;
    const region = options.global ? 'global' : (options.region ?? (parsed?.region || null) ?? this.regionOrWarn());
    const tags = options.tags ?? {};
    const ec2Type = EC2_ARN_RESOURCE_TYPES[type];
    const nativeId = arn ?? (ec2Type === undefined ? null : ec2Arn(region, account, ec2Type, id)) ?? id;
    const key = ACCOUNT_SCOPED_NAME_TYPES.has(type) ? accountScopedKey(account, id) : id;
    return this.b.addNode({
      provider: 'aws',
      type,
      region,
      key,
      name: tags.Name || options.displayName || id,
      account,
      nativeId,
      tags,
      attributes: attributes,
      aliases: [id, arn, ...(options.aliases ?? [])],
    });
  }

  private regionOrWarn(): string {
    if (this.region !== null) return this.region;
    if (!this.warnedRegion) {
      this.warnedRegion = true;
      this.b.warn(
        `document "${this.doc}": no region given (document or input region); its regional resources are placed in 'global'`,
      );
    }
    return 'global';
  }
}

type Handler = (ctx: DocContext, value: unknown, key: string) => void;

const azRegion = (o: Rec, key = 'AvailabilityZone'): string | null => regionFromAvailabilityZone(o[key]);

/** Handlers in processing order (see the file comment). */
const HANDLERS = new Map<string, Handler>([
  [
    'Vpcs',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VpcId', at(key, i));
        ctx.addNode(T.vpc, id, vpcAttributes(o), { tags: tagsFromAwsList(o.Tags), account: str(o.OwnerId) });
      });
    },
  ],
  [
    'Subnets',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'SubnetId', at(key, i));
        ctx.addNode(T.subnet, id, subnetAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          arn: str(o.SubnetArn),
          region: azRegion(o),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'SecurityGroups',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'GroupId', at(key, i));
        ctx.addNode(T.securityGroup, id, securityGroupAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          arn: str(o.SecurityGroupArn),
          account: str(o.OwnerId),
          displayName: str(o.GroupName) ?? id,
        });
      });
    },
  ],
  [
    'NetworkAcls',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'NetworkAclId', at(key, i));
        ctx.objects(o.Entries ?? [], at(at(key, i), 'Entries'));
        ctx.addNode(T.networkAcl, id, networkAclAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'InternetGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'InternetGatewayId', at(key, i));
        ctx.addNode(T.internetGateway, id, internetGatewayAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'EgressOnlyInternetGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'EgressOnlyInternetGatewayId', at(key, i));
        ctx.addNode(T.egressOnlyInternetGateway, id, egressOnlyInternetGatewayAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
        });
      });
    },
  ],
  [
    'VpnGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VpnGatewayId', at(key, i));
        ctx.addNode(T.vpnGateway, id, vpnGatewayAttributes(o), { tags: tagsFromAwsList(o.Tags) });
      });
    },
  ],
  [
    'CustomerGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'CustomerGatewayId', at(key, i));
        ctx.addNode(T.customerGateway, id, customerGatewayAttributes(o), { tags: tagsFromAwsList(o.Tags) });
      });
    },
  ],
  [
    'TransitGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'TransitGatewayId', at(key, i));
        ctx.addNode(T.transitGateway, id, transitGatewayAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          arn: str(o.TransitGatewayArn),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'TransitGatewayRouteTables',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'TransitGatewayRouteTableId', at(key, i));
        ctx.addNode(T.transitGatewayRouteTable, id, transitGatewayRouteTableAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
        });
      });
    },
  ],
  [
    'TransitGatewayPeeringAttachments',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'TransitGatewayAttachmentId', at(key, i));
        const requester = isRecord(o.RequesterTgwInfo) ? o.RequesterTgwInfo : {};
        const side = {
          tgw: str(requester.TransitGatewayId),
          owner: str(requester.OwnerId),
          region: str(requester.Region),
        };
        if (side.region !== null && !ctx.snapshot.peeringRequesters.has(id))
          ctx.snapshot.peeringRequesters.set(id, side);
        ctx.addNode(T.transitGatewayAttachment, id, transitGatewayPeeringAttachmentAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          region: side.region,
          account: side.owner,
        });
      });
    },
  ],
  [
    'TransitGatewayVpcAttachments',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'TransitGatewayAttachmentId', at(key, i));
        ctx.addNode(T.transitGatewayAttachment, id, transitGatewayVpcAttachmentAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          account: str(o.VpcOwnerId),
        });
      });
    },
  ],
  [
    'TransitGatewayAttachments',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'TransitGatewayAttachmentId', at(key, i));
        const attributes = transitGatewayAttachmentAttributes(o);
        const rtId = attributes.association_route_table_id;
        if (PEERING_RESOURCE_TYPES.has(attributes.resource_type)) {
          peeringAttachment(ctx, id, o, attributes);
        } else {
          // ResourceOwnerId: a VPC attachment is requested by the VPC's owner (a shared TGW's owner accepts
          // it, and lists it too); a VPN attachment's VPN connection is in the TGW owner's account.
          ctx.addNode(T.transitGatewayAttachment, id, attributes, {
            tags: tagsFromAwsList(o.Tags),
            account: str(o.ResourceOwnerId),
          });
        }
        if (rtId !== null) {
          const rt = ctx.b.find(T.transitGatewayRouteTable, rtId);
          if (rt !== undefined) pushUnique(rt.attributes as Rec, 'association_attachment_ids', [id]);
        }
      });
    },
  ],
  ['TransitGatewayRouteTablePropagations', (ctx, v, key) => tgwPropagations(ctx, v, key, null)],
  [
    'TransitGatewayPropagations',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const rtId = ctx.id(o, 'TransitGatewayRouteTableId', at(key, i));
        tgwPropagations(
          ctx,
          o.TransitGatewayRouteTablePropagations ?? [],
          at(at(key, i), 'TransitGatewayRouteTablePropagations'),
          rtId,
        );
      });
    },
  ],
  ['Associations', (ctx, v, key) => tgwAssociations(ctx, v, key)],
  ['Routes', (ctx, v, key) => tgwRoutes(ctx, v, key, null)],
  [
    'TransitGatewayStaticRoutes',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const rtId = ctx.id(o, 'TransitGatewayRouteTableId', at(key, i));
        tgwRoutes(ctx, o.Routes ?? [], at(at(key, i), 'Routes'), rtId);
      });
    },
  ],
  [
    'VpcPeeringConnections',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VpcPeeringConnectionId', at(key, i));
        const attributes = vpcPeeringConnectionAttributes(o);
        // Both sides (accounts, regions) list the connection: the requester's region and account identify it.
        ctx.addNode(T.vpcPeeringConnection, id, attributes, {
          tags: tagsFromAwsList(o.Tags),
          region: attributes.requester.region,
          account: attributes.requester.owner_id,
        });
      });
    },
  ],
  [
    'RouteTables',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'RouteTableId', at(key, i));
        ctx.objects(o.Routes ?? [], at(at(key, i), 'Routes'));
        ctx.addNode(T.routeTable, id, routeTableAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  ['PrefixLists', prefixLists],
  ['ManagedPrefixLists', prefixLists],
  [
    'Entries',
    (ctx, v, key) => {
      const entries = ctx.objects(v, key);
      const plId = ctx.contextId('PrefixListId', /pl-[0-9a-f]+/);
      const pl = plId === null ? undefined : ctx.b.find(T.managedPrefixList, plId, ctx.region ?? undefined);
      if (pl === undefined) {
        ctx.b.skipDocument(ctx.doc);
        ctx.b.warn(
          `document "${ctx.doc}": prefix list entries whose prefix list ${plId ?? '(not named)'} is not in the input; name the document after the prefix list (pl-…) or wrap it as {PrefixListId, Entries}`,
        );
        return;
      }
      const cidrs = entries.map((e, i) => ctx.id(e, 'Cidr', at(key, i)));
      pushUnique(pl.attributes as Rec, 'cidrs', cidrs);
    },
  ],
  [
    'Reservations',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((reservation, r) => {
        const owner = str(reservation.OwnerId);
        const path = at(at(key, r), 'Instances');
        ctx.objects(reservation.Instances ?? [], path).forEach((o, i) => {
          addInstance(ctx, o, at(path, i), owner);
        });
      });
    },
  ],
  [
    'Volumes',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VolumeId', at(key, i));
        const attachments = recList(o.Attachments);
        const volume = ctx.addNode(
          T.ebsVolume,
          id,
          {
            volume_id: id,
            availability_zone: str(o.AvailabilityZone),
            encrypted: bool(o.Encrypted),
            kms_key_id: str(o.KmsKeyId),
            size: num(o.Size),
            volume_type: str(o.VolumeType),
            state: str(o.State),
            attached_instance_ids: dedupe(attachments.map((a) => str(a.InstanceId)).filter((x) => x !== null)),
          },
          { tags: tagsFromAwsList(o.Tags), region: regionFromAvailabilityZone(o.AvailabilityZone) },
        );
        for (const a of attachments) {
          const instanceId = str(a.InstanceId);
          const instance = instanceId === null ? undefined : ctx.b.find(T.instance, instanceId);
          if (instance !== undefined) ctx.b.addEdgeBetween(volume, instance, 'attached_to');
        }
      });
    },
  ],
  [
    'NetworkInterfaces',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'NetworkInterfaceId', at(key, i));
        ctx.addNode(T.networkInterface, id, networkInterfaceAttributes(o), {
          tags: tagsFromAwsList(o.TagSet ?? o.Tags),
          region: azRegion(o),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'NatGateways',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'NatGatewayId', at(key, i));
        ctx.addNode(T.natGateway, id, natGatewayAttributes(o), { tags: tagsFromAwsList(o.Tags) });
      });
    },
  ],
  [
    'Addresses',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const publicIp = ctx.id(o, 'PublicIp', at(key, i));
        // EC2-Classic addresses have no allocation id; their public IP is their identity.
        const id = str(o.AllocationId) ?? publicIp;
        ctx.addNode(T.elasticIp, id, elasticIpAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          displayName: publicIp,
          aliases: [publicIp],
        });
      });
    },
  ],
  [
    'VpcEndpoints',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VpcEndpointId', at(key, i));
        ctx.addNode(T.vpcEndpoint, id, vpcEndpointAttributes(o), {
          tags: tagsFromAwsList(o.Tags),
          account: str(o.OwnerId),
        });
      });
    },
  ],
  [
    'VpnConnections',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'VpnConnectionId', at(key, i));
        ctx.addNode(T.vpnConnection, id, vpnConnectionAttributes(o), { tags: tagsFromAwsList(o.Tags) });
      });
    },
  ],
  [
    'LoadBalancers',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const arn = ctx.id(o, 'LoadBalancerArn', at(key, i));
        const name = ctx.id(o, 'LoadBalancerName', at(key, i));
        ctx.addNode(T.loadBalancer, name, loadBalancerAttributes(o), { tags: tagsFromAwsList(o.Tags), arn });
      });
    },
  ],
  [
    'TargetGroups',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const arn = ctx.id(o, 'TargetGroupArn', at(key, i));
        const name = ctx.id(o, 'TargetGroupName', at(key, i));
        ctx.addNode(T.targetGroup, name, targetGroupAttributes(o), { tags: tagsFromAwsList(o.Tags), arn });
      });
    },
  ],
  ['Listeners', (ctx, v, key) => listeners(ctx, v, key)],
  [
    'LoadBalancerListeners',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        listeners(ctx, o.Listeners ?? [], at(at(key, i), 'Listeners'), str(o.LoadBalancerArn));
      });
    },
  ],
  ['Rules', (ctx, v, key) => listenerRules(ctx, v, key)],
  ['TargetHealthDescriptions', (ctx, v, key) => targetHealth(ctx, v, key, str(ctx.content.TargetGroupArn))],
  [
    'LoadBalancerTargetHealth',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const arn = ctx.id(o, 'TargetGroupArn', at(key, i));
        targetHealth(ctx, o.TargetHealthDescriptions ?? [], at(at(key, i), 'TargetHealthDescriptions'), arn);
      });
    },
  ],
  [
    'LoadBalancerAttributes',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const arn = ctx.id(o, 'LoadBalancerArn', at(key, i));
        const lb = ctx.b.find(T.loadBalancer, arn);
        if (lb === undefined) return;
        (lb.attributes as Rec).load_balancer_attributes = attributeMap(o.Attributes);
      });
    },
  ],
  [
    'TargetGroupAttributes',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const arn = ctx.id(o, 'TargetGroupArn', at(key, i));
        const tg = ctx.b.find(T.targetGroup, arn);
        if (tg === undefined) return;
        const map = attributeMap(o.Attributes);
        const attributes = tg.attributes as Rec;
        attributes.target_group_attributes = map;
        // As Terraform's aws_lb_target_group names it: the path tracer reads it.
        attributes.preserve_client_ip = bool(map['preserve_client_ip.enabled']);
      });
    },
  ],
  [
    'DBInstances',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'DBInstanceIdentifier', at(key, i));
        ctx.addNode(T.dbInstance, id, dbInstanceAttributes(o), {
          tags: tagsFromAwsList(o.TagList ?? o.Tags),
          arn: str(o.DBInstanceArn),
          region: azRegion(o),
        });
      });
    },
  ],
  [
    'Functions',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const name = ctx.id(o, 'FunctionName', at(key, i));
        ctx.addNode(T.lambdaFunction, name, lambdaFunctionAttributes(o), {
          tags: isRecord(o.Tags) ? stringMap(o.Tags) : {},
          arn: str(o.FunctionArn),
        });
      });
    },
  ],
  [
    'Buckets',
    (ctx, v, key) => {
      const owner = isRecord(ctx.content.Owner) ? ctx.content.Owner : {};
      ctx.objects(v, key).forEach((o, i) => {
        const name = ctx.id(o, 'Name', at(key, i));
        const bucketRegion = str(o.BucketRegion);
        // Bucket names are global, and list-buckets does not always say the region: the node is 'global'.
        ctx.addNode(
          T.s3Bucket,
          name,
          { bucket: name, region: bucketRegion, creation_date: str(o.CreationDate), owner_canonical_id: str(owner.ID) },
          {
            global: true,
            arn: `arn:${partitionForRegion(bucketRegion ?? ctx.region)}:s3:::${name}`,
            account: ctx.account,
          },
        );
      });
    },
  ],
  [
    'PublicAccessBlockConfiguration',
    (ctx, v, key) => {
      if (!isRecord(v)) throw ingestError(ctx.doc, key, 'must be an object');
      // get-public-access-block prints the settings alone: which bucket (or, from s3control, which account)
      // they are of is told by a field beside them or by the document's name.
      const target = s3DocumentTarget(ctx);
      if (target === null) {
        ctx.b.skipDocument(ctx.doc);
        ctx.b.warn(
          `document "${ctx.doc}": public access block settings without their bucket (name the file after the bucket, ` +
            `e.g. public-access-block-<bucket>.json, or wrap them as {Bucket, PublicAccessBlockConfiguration}); not read`,
        );
        return;
      }
      if ('bucket' in target) addBucketPublicAccessBlock(ctx, target.bucket, v);
      else
        ctx.addNode(
          T.s3AccountPublicAccessBlock,
          target.account,
          { account_id: target.account, ...publicAccessBlockFlags(v) },
          { global: true, account: target.account },
        );
    },
  ],
  [
    'BucketPublicAccessBlocks',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const bucket = ctx.id(o, 'Bucket', at(key, i));
        const settings = o.PublicAccessBlockConfiguration;
        if (!isRecord(settings))
          throw ingestError(ctx.doc, `${at(key, i)}.PublicAccessBlockConfiguration`, 'must be an object');
        addBucketPublicAccessBlock(ctx, bucket, settings);
      });
    },
  ],
  [
    'Policy',
    (ctx, v) => {
      // Lambda's get-policy (with RevisionId), KMS's get-key-policy (with PolicyName) and IAM's get-policy (an
      // object) print a `Policy` too: only a policy text alone (or beside its Bucket) is a bucket's.
      const others = Object.keys(ctx.content).filter((k) => k !== 'Policy' && k !== 'Bucket' && !IGNORED_KEYS.has(k));
      if (typeof v !== 'string' || others.length > 0) {
        ctx.b.skipDocument(ctx.doc);
        ctx.b.warn(
          `document "${ctx.doc}": a Policy that is not an S3 bucket policy (another service's output); not read`,
        );
        return;
      }
      const target = s3DocumentTarget(ctx);
      if (target === null || !('bucket' in target)) {
        ctx.b.skipDocument(ctx.doc);
        ctx.b.warn(
          `document "${ctx.doc}": bucket policy without its bucket (name the file after the bucket, e.g. ` +
            `bucket-policy-<bucket>.json, or wrap it as {Bucket, Policy}); not read`,
        );
        return;
      }
      addBucketPolicy(ctx, target.bucket, v, 'Policy');
    },
  ],
  [
    'BucketPolicies',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const bucket = ctx.id(o, 'Bucket', at(key, i));
        // A bucket without a policy: get-bucket-policy fails (NoSuchBucketPolicy); a collector records null.
        if (o.Policy === null || o.Policy === undefined) {
          addBucketPolicy(ctx, bucket, '', `${at(key, i)}.Policy`);
          return;
        }
        if (typeof o.Policy !== 'string')
          throw ingestError(ctx.doc, `${at(key, i)}.Policy`, 'must be a JSON text or null');
        addBucketPolicy(ctx, bucket, o.Policy, `${at(key, i)}.Policy`);
      });
    },
  ],
  [
    'FlowLogs',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const id = ctx.id(o, 'FlowLogId', at(key, i));
        const resource = str(o.ResourceId);
        // As aws_flow_log names them: the resource the log records is a VPC, a subnet or an interface.
        const on = (prefix: string) => (resource?.startsWith(prefix) ? resource : null);
        const tgwAttachment = on('tgw-attach-');
        ctx.addNode(
          T.flowLog,
          id,
          {
            flow_log_id: id,
            resource_id: resource,
            vpc_id: on('vpc-'),
            subnet_id: on('subnet-'),
            eni_id: on('eni-'),
            transit_gateway_id: tgwAttachment === null ? on('tgw-') : null,
            transit_gateway_attachment_id: tgwAttachment,
            traffic_type: str(o.TrafficType),
            log_destination_type: str(o.LogDestinationType),
            log_destination: str(o.LogDestination) ?? str(o.LogGroupName),
            flow_log_status: str(o.FlowLogStatus),
            deliver_logs_status: str(o.DeliverLogsStatus),
          },
          { tags: tagsFromAwsList(o.Tags) },
        );
      });
      // The account's flow logs in this region are all here: a VPC of it without one has none.
      for (const vpc of ctx.b.allNodes()) {
        if (vpc.type === T.vpc && vpc.account === ctx.account && vpc.region === ctx.region) {
          (vpc.attributes as Rec).flow_logs_recorded = true;
        }
      }
    },
  ],
  [
    'EbsEncryptionByDefault',
    (ctx, v, key) => {
      if (typeof v !== 'boolean') throw ingestError(ctx.doc, key, 'must be true or false');
      // A setting of one region: the document says nothing of which but by where it was saved.
      if (ctx.region === null) {
        ctx.b.warn(
          `document "${ctx.doc}": EBS encryption by default without a region (save it under a <region> folder or give the document a region); not read`,
        );
        return;
      }
      ctx.addNode(T.ebsEncryptionByDefault, ctx.region, { enabled: v }, { displayName: ctx.region });
    },
  ],
  [
    'KeyMetadata',
    (ctx, v, key) => {
      if (!isRecord(v)) throw ingestError(ctx.doc, key, 'must be an object');
      const id = ctx.id(v, 'KeyId', key);
      ctx.addNode(
        T.kmsKey,
        id,
        {
          // As aws_kms_key names them, so that one rule reads both.
          key_id: id,
          arn: str(v.Arn),
          description: str(v.Description),
          key_usage: str(v.KeyUsage),
          customer_master_key_spec: str(v.CustomerMasterKeySpec) ?? str(v.KeySpec),
          key_spec: str(v.KeySpec),
          key_manager: str(v.KeyManager),
          key_state: str(v.KeyState),
          is_enabled: bool(v.Enabled),
          origin: str(v.Origin),
          multi_region: bool(v.MultiRegion),
          enable_key_rotation: null,
        },
        { arn: str(v.Arn), account: str(v.AWSAccountId) },
      );
    },
  ],
  [
    'KeyRotationEnabled',
    (ctx, v, key) => {
      if (typeof v !== 'boolean') throw ingestError(ctx.doc, key, 'must be true or false');
      // Newer CLIs print the key's ARN beside it; older ones only the flag, so the file name must say which key.
      const keyId = str(ctx.content.KeyId) ?? KEY_ID_IN_NAME.exec(ctx.doc)?.[0] ?? null;
      const node =
        keyId === null ? undefined : (ctx.b.find(T.kmsKey, keyId) ?? ctx.b.findByNativeId(keyId) ?? undefined);
      if (node === undefined) {
        ctx.b.skipDocument(ctx.doc);
        ctx.b.warn(
          keyId === null
            ? `document "${ctx.doc}": key rotation status without a key id (give the file the key id in its name, or wrap it as {KeyId, KeyRotationEnabled}); not read`
            : `document "${ctx.doc}": key rotation status of key ${keyId}, which is not in the input (kms describe-key); not read`,
        );
        return;
      }
      (node.attributes as Rec).enable_key_rotation = v;
    },
  ],
  [
    'trailList',
    (ctx, v, key) => {
      ctx.objects(v, key).forEach((o, i) => {
        const name = ctx.id(o, 'Name', at(key, i));
        const arn = str(o.TrailARN);
        // A multi-region trail is listed in every region (as a shadow trail): one node, in its home region.
        if (arn !== null && ctx.b.findByNativeId(arn) !== undefined) return;
        ctx.addNode(
          T.cloudTrail,
          name,
          {
            name,
            trail_arn: arn,
            home_region: str(o.HomeRegion),
            s3_bucket_name: str(o.S3BucketName),
            is_multi_region_trail: bool(o.IsMultiRegionTrail),
            include_global_service_events: bool(o.IncludeGlobalServiceEvents),
            log_file_validation_enabled: bool(o.LogFileValidationEnabled),
            kms_key_id: str(o.KmsKeyId),
            is_organization_trail: bool(o.IsOrganizationTrail),
          },
          { arn, region: str(o.HomeRegion) },
        );
      });
    },
  ],
  ['Roles', (ctx, v, key) => iamEntities(ctx, v, key, T.iamRole, 'RoleName', iamRoleAttributes)],
  [
    'RoleDetailList',
    (ctx, v, key) => {
      iamEntities(ctx, v, key, T.iamRole, 'RoleName', iamRoleAttributes);
      // get-account-authorization-details lists instance profiles only here, each under its role (with its
      // roles, as list-instance-profiles prints it): an instance's profile must be found to reach its role.
      ctx.objects(v, key).forEach((role, i) => {
        if (role.InstanceProfileList === undefined || role.InstanceProfileList === null) return;
        const path = at(at(key, i), 'InstanceProfileList');
        iamEntities(
          ctx,
          role.InstanceProfileList,
          path,
          T.iamInstanceProfile,
          'InstanceProfileName',
          iamInstanceProfileAttributes,
        );
      });
    },
  ],
  ['Users', (ctx, v, key) => iamEntities(ctx, v, key, T.iamUser, 'UserName', iamUserAttributes)],
  ['UserDetailList', (ctx, v, key) => iamEntities(ctx, v, key, T.iamUser, 'UserName', iamUserAttributes)],
  ['GroupDetailList', (ctx, v, key) => iamEntities(ctx, v, key, T.iamGroup, 'GroupName', iamGroupAttributes)],
  ['Policies', (ctx, v, key) => iamEntities(ctx, v, key, T.iamPolicy, 'PolicyName', iamPolicyAttributes)],
  [
    'InstanceProfiles',
    (ctx, v, key) =>
      iamEntities(ctx, v, key, T.iamInstanceProfile, 'InstanceProfileName', iamInstanceProfileAttributes),
  ],
]);

/**
 * A TGW peering attachment from describe-transit-gateway-attachments. Each side lists it with its own
 * TGW as TransitGatewayId and the peer TGW as ResourceId (ResourceOwnerId owns the peer TGW, not the
 * attachment). Both views become one node, in the requester TGW's region and account, oriented from
 * the requester (transit_gateway_id = requester TGW, resource_id = accepter TGW); the accepter's view
 * adds no association_route_table_id (its route table is in the other region; it lists the attachment
 * in its association_attachment_ids).
 */
function peeringAttachment(ctx: DocContext, id: string, o: Rec, attributes: Rec): void {
  const local = {
    tgw: str(o.TransitGatewayId),
    owner: str(o.TransitGatewayOwnerId),
    region: ctx.region ?? ctx.snapshot.tgwRegion(str(o.TransitGatewayId)),
  };
  const peerTgw = str(o.ResourceId);
  const peer = { tgw: peerTgw, owner: str(o.ResourceOwnerId), region: ctx.snapshot.tgwRegion(peerTgw) };
  const requester = ctx.snapshot.peeringRequester(id, local, peer);
  if (requester.tgw !== null && requester.tgw === peer.tgw) {
    attributes.transit_gateway_id = peer.tgw;
    attributes.transit_gateway_owner_id = peer.owner;
    attributes.resource_id = local.tgw;
    attributes.resource_owner_id = local.owner;
    attributes.association_route_table_id = null;
  }
  ctx.addNode(T.transitGatewayAttachment, id, attributes, {
    tags: tagsFromAwsList(o.Tags),
    region: requester.region ?? local.region,
    account: requester.owner ?? local.owner,
  });
}

function addInstance(ctx: DocContext, o: Rec, path: string, owner: string | null): void {
  const id = ctx.id(o, 'InstanceId', path);
  const attributes = instanceAttributes(o);
  const region = regionFromAvailabilityZone(attributes.availability_zone);
  const instance = ctx.addNode(T.instance, id, attributes, { tags: tagsFromAwsList(o.Tags), region, account: owner });
  ctx.objects(o.NetworkInterfaces ?? [], at(path, 'NetworkInterfaces')).forEach((eni, i) => {
    const eniId = ctx.id(eni, 'NetworkInterfaceId', at(at(path, 'NetworkInterfaces'), i));
    const eniAttributes = networkInterfaceAttributes(eni, { instanceId: id, vpcId: attributes.vpc_id });
    eniAttributes.availability_zone = attributes.availability_zone;
    ctx.addNode(T.networkInterface, eniId, eniAttributes, {
      tags: tagsFromAwsList(eni.TagSet ?? eni.Tags),
      region: instance.region,
      account: str(eni.OwnerId) ?? owner,
    });
  });
}

function prefixLists(ctx: DocContext, v: unknown, key: string): void {
  ctx.objects(v, key).forEach((o, i) => {
    const id = ctx.id(o, 'PrefixListId', at(key, i));
    const attributes = prefixListAttributes(o);
    const awsManaged = str(o.OwnerId) === 'AWS' || (attributes.prefix_list_name ?? '').startsWith('com.amazonaws.');
    ctx.addNode(T.managedPrefixList, id, attributes, {
      tags: tagsFromAwsList(o.Tags),
      arn: str(o.PrefixListArn),
      displayName: attributes.prefix_list_name ?? id,
      // AWS-managed lists (owner 'AWS', names com.amazonaws.*) get the account 'aws', as AWS-managed IAM policies do.
      account: awsManaged ? 'aws' : str(o.OwnerId),
    });
  });
}

function findTgwRouteTable(ctx: DocContext, rtId: string | null, what: string): NodeInput | undefined {
  const rt = rtId === null ? undefined : ctx.b.find(T.transitGatewayRouteTable, rtId, ctx.region ?? undefined);
  if (rt === undefined) {
    ctx.b.skipDocument(ctx.doc);
    ctx.b.warn(
      rtId === null
        ? `document "${ctx.doc}": ${what} without a transit gateway route table; name the document after it (tgw-rtb-…) or wrap it as {TransitGatewayRouteTableId, …}`
        : `document "${ctx.doc}": ${what} of transit gateway route table ${rtId}, which is not in the input`,
    );
  }
  return rt;
}

const TGW_RTB = /tgw-rtb-[0-9a-f]+/;

function tgwPropagations(ctx: DocContext, v: unknown, path: string, rtId: string | null): void {
  const items = ctx.objects(v, path);
  const rt = findTgwRouteTable(ctx, rtId ?? ctx.contextId('TransitGatewayRouteTableId', TGW_RTB), 'propagations');
  if (rt === undefined) return;
  const enabled = items
    .map((p, i) => ({ id: ctx.id(p, 'TransitGatewayAttachmentId', at(path, i)), state: str(p.State) }))
    .filter((p) => p.state === null || p.state === 'enabled' || p.state === 'enabling')
    .map((p) => p.id);
  pushUnique(rt.attributes as Rec, 'propagation_attachment_ids', enabled);
}

function tgwAssociations(ctx: DocContext, v: unknown, path: string): void {
  const items = ctx.objects(v, path);
  const rt = findTgwRouteTable(ctx, ctx.contextId('TransitGatewayRouteTableId', TGW_RTB), 'associations');
  if (rt === undefined) return;
  const rtId = String(rt.attributes.transit_gateway_route_table_id);
  const ids: string[] = [];
  items.forEach((a, i) => {
    const id = ctx.id(a, 'TransitGatewayAttachmentId', at(path, i));
    const state = str(a.State);
    if (state !== null && state !== 'associated' && state !== 'associating') return;
    ids.push(id);
    const attachment = ctx.b.find(T.transitGatewayAttachment, id);
    if (attachment !== undefined && attachment.attributes.association_route_table_id == null) {
      (attachment.attributes as Rec).association_route_table_id = rtId;
    }
  });
  pushUnique(rt.attributes as Rec, 'association_attachment_ids', ids);
}

function tgwRoutes(ctx: DocContext, v: unknown, path: string, rtId: string | null): void {
  const items = ctx.objects(v, path);
  const rt = findTgwRouteTable(ctx, rtId ?? ctx.contextId('TransitGatewayRouteTableId', TGW_RTB), 'routes');
  if (rt === undefined) return;
  const routes = items.map(transitGatewayRoute).filter((r) => r !== null);
  const attributes = rt.attributes as Rec;
  const existing = Array.isArray(attributes.routes) ? attributes.routes : [];
  const seen = new Set(existing.map((r) => JSON.stringify(r)));
  attributes.routes = [...existing, ...routes.filter((r) => !seen.has(JSON.stringify(r)))];
}

function listeners(ctx: DocContext, v: unknown, path: string, lbArn: string | null = null): void {
  ctx.objects(v, path).forEach((l, i) => {
    const arn = lbArn ?? ctx.id(l, 'LoadBalancerArn', at(path, i));
    const lb = ctx.b.find(T.loadBalancer, arn);
    if (lb === undefined) {
      ctx.b.warn(`document "${ctx.doc}": listener of load balancer ${arn}, which is not in the input`);
      return;
    }
    const port = num(l.Port);
    const protocol = str(l.Protocol);
    const groups = listenerTargetGroups(l.DefaultActions);
    if (port !== null) {
      mergeListener(lb.attributes as Rec, {
        port,
        protocol,
        listener_arn: str(l.ListenerArn),
        // Without DefaultActions the input does not say where the listener forwards.
        ...(Array.isArray(l.DefaultActions) ? { target_group_arns: groups } : {}),
      });
    }
    for (const tgArn of groups) {
      const tg = ctx.b.find(T.targetGroup, tgArn);
      if (tg !== undefined) pushUnique(tg.attributes as Rec, 'load_balancer_arns', [arn]);
    }
  });
}

/**
 * The listener and load balancer ARNs of a listener rule ARN (describe-rules does not repeat its
 * listener): `…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>` is a rule of
 * `…:listener/app/<lb>/<lb-id>/<listener-id>`, of `…:loadbalancer/app/<lb>/<lb-id>`.
 */
export function listenerOfRule(ruleArn: string): { listenerArn: string; loadBalancerArn: string } | null {
  const m = ELBV2_RULE_ARN.exec(ruleArn);
  if (m === null) return null;
  const [, prefix, lb, listenerId] = m;
  return { listenerArn: `${prefix}listener/${lb}/${listenerId}`, loadBalancerArn: `${prefix}loadbalancer/${lb}` };
}

/**
 * describe-rules: each rule's forward target groups count for its listener (found by ARN among the
 * listeners describe-listeners gave). The default rule repeats the listener's default actions; the
 * others are kept in the listener's `rules` with their priority and what their conditions say
 * for reachability (source CIDRs, whether they match every request).
 */
function listenerRules(ctx: DocContext, v: unknown, path: string): void {
  ctx.objects(v, path).forEach((rule, i) => {
    const ruleArn = ctx.id(rule, 'RuleArn', at(path, i));
    const of = listenerOfRule(ruleArn);
    if (of === null) {
      ctx.b.warn(`document "${ctx.doc}": rule ${ruleArn} is not an ELBv2 listener rule ARN; not read`);
      return;
    }
    const lb = ctx.b.find(T.loadBalancer, of.loadBalancerArn);
    if (lb === undefined) {
      ctx.b.warn(
        `document "${ctx.doc}": rule ${ruleArn} of load balancer ${of.loadBalancerArn}, which is not in the input`,
      );
      return;
    }
    const groups = listenerTargetGroups(rule.Actions);
    for (const tgArn of groups) {
      const tg = ctx.b.find(T.targetGroup, tgArn);
      if (tg !== undefined) pushUnique(tg.attributes as Rec, 'load_balancer_arns', [of.loadBalancerArn]);
    }
    const listener = recList(lb.attributes.listeners).find((l) => l.listener_arn === of.listenerArn);
    const port = listener === undefined ? null : num(listener.port);
    if (port === null) {
      ctx.b.warn(
        `document "${ctx.doc}": rule ${ruleArn} of listener ${of.listenerArn}, which is not in the input (describe-listeners); its target groups are not assigned to a listener`,
      );
      return;
    }
    if (!Array.isArray(rule.Actions)) return;
    if (rule.IsDefault === true) {
      mergeListener(lb.attributes as Rec, { port, protocol: null, target_group_arns: groups });
      return;
    }
    const priority = num(rule.Priority);
    mergeListener(lb.attributes as Rec, {
      port,
      protocol: null,
      rule: {
        rule_arn: ruleArn,
        priority,
        ...ruleReach(recList(rule.Conditions).map(ruleCondition)),
        target_group_arns: groups,
      },
    });
  });
}

/**
 * A describe-rules condition as `{ field, values }`: the `…Config.Values` of its field, else the
 * legacy `Values` (path-pattern and host-header only had those).
 */
function ruleCondition(c: Rec): { field: string; values: string[] | null } {
  const field = str(c.Field) ?? '';
  const configKey: Record<string, string> = {
    'source-ip': 'SourceIpConfig',
    'path-pattern': 'PathPatternConfig',
    'host-header': 'HostHeaderConfig',
    'http-header': 'HttpHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig',
  };
  const config = configKey[field] === undefined ? undefined : c[configKey[field]];
  if (isRecord(config) && Array.isArray(config.Values)) return { field, values: strList(config.Values) };
  return { field, values: Array.isArray(c.Values) ? strList(c.Values) : [] };
}

/**
 * Target group ARNs of listener (or rule) actions of type `forward`: `TargetGroupArn` or weighted
 * `ForwardConfig.TargetGroups`.
 */
export function listenerTargetGroups(actions: unknown): string[] {
  const out: string[] = [];
  for (const action of recList(actions)) {
    const type = str(action.Type);
    if (type !== null && type !== 'forward') continue;
    const direct = str(action.TargetGroupArn);
    if (direct !== null) out.push(direct);
    const forward = isRecord(action.ForwardConfig) ? action.ForwardConfig : {};
    for (const tg of recList(forward.TargetGroups)) {
      const arn = str(tg.TargetGroupArn);
      if (arn !== null) out.push(arn);
    }
  }
  return dedupe(out);
}

function targetHealth(ctx: DocContext, v: unknown, path: string, tgArn: string | null): void {
  const items = ctx.objects(v, path);
  const tg = tgArn === null ? undefined : ctx.b.find(T.targetGroup, tgArn);
  if (tg === undefined) {
    ctx.b.skipDocument(ctx.doc);
    ctx.b.warn(
      tgArn === null
        ? `document "${ctx.doc}": target health without a target group; wrap it as {TargetGroupArn, TargetHealthDescriptions}`
        : `document "${ctx.doc}": target health of target group ${tgArn}, which is not in the input`,
    );
    return;
  }
  const targets = items.map((d, i) => {
    const target = isRecord(d.Target) ? d.Target : {};
    const health = isRecord(d.TargetHealth) ? d.TargetHealth : {};
    const reason = str(health.Reason);
    return {
      id: ctx.id(target, 'Id', at(at(path, i), 'Target')),
      port: num(target.Port),
      health: str(health.State),
      ...(reason === null ? {} : { health_reason: reason }),
    };
  });
  const attributes = tg.attributes as Rec;
  pushUnique(attributes, 'targets', targets);
  pushUnique(
    attributes,
    'target_ids',
    targets.map((t) => t.id),
  );
}

function iamEntities(
  ctx: DocContext,
  v: unknown,
  key: string,
  type: AwsType,
  nameKey: string,
  normalise: (o: Rec) => Rec,
): void {
  ctx.objects(v, key).forEach((o, i) => {
    const name = ctx.id(o, nameKey, at(key, i));
    const arn = str(o.Arn);
    const parsed = parseArn(arn);
    ctx.addNode(type, name, normalise(o), {
      tags: tagsFromAwsList(o.Tags),
      arn,
      global: true,
      account: parsed?.account || ctx.account,
    });
  });
}

function stringMap(v: Rec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) if (typeof value === 'string') out[k] = value;
  return out;
}

/** Appends values not already in `attributes[key]` (compared as JSON, so objects work too). */
function pushUnique(attributes: Rec, key: string, values: unknown[]): void {
  const current = Array.isArray(attributes[key]) ? (attributes[key] as unknown[]) : [];
  const seen = new Set(current.map((x) => JSON.stringify(x)));
  const added = values.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  attributes[key] = [...current, ...added];
}

// Exported for the document-kind table in docs/inventory-types.md and tests.
export const RECOGNISED_DOCUMENT_KEYS: readonly string[] = [...HANDLERS.keys()];
