/**
 * Terraform resources (from a state or a plan) → inventory.
 *
 * 1. Resources are sorted out: data sources and non-cloud providers (random,
 *    null, tls…) are skipped; AWS rules/associations are kept for merging.
 * 2. Each node resource gets a region (provider configuration, then ARN,
 *    then availability zone, then the resource it sits in, then the input
 *    default) and an account (ARN, owner_id, input default).
 * 3. Nodes are built (identity → id, tags, raw + normalised attributes), then
 *    rules and associations are merged into them.
 * 4. Terraform-only gaps are filled (local routes, main route tables,
 *    subnet groups, default TGW associations), then the shared link pass
 *    derives edges, and `dependencies` become `depends_on` edges.
 */
import { isUnknown, type NodeInput, type ParsedInventory } from '../inventory/types.ts';
import { InventoryBuilder } from './builder.ts';
import { linkInventory } from './link.ts';
import { configAddress } from './terraform-address.ts';
import {
  awsDisplayName,
  awsIdentity,
  type MergeContext,
  mergeResource,
  nodeAttributes,
  REFERENCE_FIELDS,
} from './terraform-aws.ts';
import type { DefaultTags, DefaultTagsKind, ProviderDefaultTags } from './terraform-default-tags.ts';
import {
  NON_ATTRIBUTE_KEYS,
  type ReferenceResolver,
  type TerraformParseOptions,
  type TfResource,
  withoutSecrets,
} from './terraform-model.ts';
import {
  ACCOUNT_SCOPED_NAME_TYPES,
  AWS_TYPES,
  type AwsType,
  accountScopedKey,
  type Cloud,
  cloudOfTerraformType,
  EC2_ARN_RESOURCE_TYPES,
  infracastTypeForTerraform,
  isGlobalTerraformType,
  TERRAFORM_MERGED_TYPES,
} from './type-map.ts';
import {
  type Arn,
  ec2Arn,
  isRecord,
  isRegionName,
  num,
  parseArn,
  type Rec,
  recList,
  regionFromAvailabilityZone,
  str,
  strList,
  tagsFromMap,
} from './values.ts';

const T = AWS_TYPES;

const LISTENER_TYPES = new Set(['aws_lb_listener', 'aws_alb_listener']);
const LISTENER_RULE_TYPES = new Set(['aws_lb_listener_rule', 'aws_alb_listener_rule']);

/** Attributes that name the resource a regionless resource sits in (its region is theirs). */
const REGION_PARENT_ATTRIBUTES = [
  'vpc_id',
  'subnet_id',
  'transit_gateway_id',
  'security_group_id',
  'instance',
  'network_interface',
  'network_interface_id',
  'allocation_id',
  'vpc_peering_connection_id',
  'vpn_gateway_id',
  'customer_gateway_id',
  'transit_gateway_attachment_id',
  'transit_gateway_route_table_id',
  'route_table_id',
  'network_acl_id',
  'load_balancer_arn',
  'target_group_arn',
];

/**
 * `defaults`: the provider default tags / labels of the document's
 * `configuration` (plans; states only when they have one), merged under the
 * tags of resources whose `tags_all` / `effective_labels` is not known.
 */
export function buildTerraformInventory(
  resources: TfResource[],
  options: TerraformParseOptions,
  resolver: ReferenceResolver | null,
  defaults: ProviderDefaultTags | null = null,
): ParsedInventory {
  return new TerraformInventory(options, resolver, defaults).build(resources);
}

/** A resource that becomes a node, with what the region pass learns about it. */
interface NodeEntry {
  r: TfResource;
  cloud: Cloud;
  arn: Arn | null;
  region: string | null;
}

class TerraformInventory {
  private readonly b = new InventoryBuilder();
  /** Instance address → node (merged resources → the node they were merged into). */
  private readonly nodeByAddress = new Map<string, NodeInput>();
  /**
   * Configuration address → its instances, for resources whose address has
   * instance keys (the others are found by their exact address).
   */
  private readonly instancesByConfig = new Map<string, TfResource[]>();
  /** Configuration addresses deliberately left out (data sources, non-cloud providers). */
  private readonly skippedConfig = new Set<string>();
  private defaultRegion: string | null = null;
  private defaultAccount: string | null = null;

  constructor(
    private readonly options: TerraformParseOptions,
    private readonly resolver: ReferenceResolver | null,
    private readonly defaults: ProviderDefaultTags | null,
  ) {}

  build(resources: TfResource[]): ParsedInventory {
    const nodeResources: NodeEntry[] = [];
    const merged: TfResource[] = [];
    const nonCloud = new Map<string, number>();

    for (const r of resources) {
      const cfg = configAddress(r.address);
      if (r.deposed === null && cfg !== r.address) {
        const list = this.instancesByConfig.get(cfg);
        if (list === undefined) this.instancesByConfig.set(cfg, [r]);
        else list.push(r);
      }
      if (r.mode === 'data') {
        this.skippedConfig.add(cfg);
        continue;
      }
      const cloud = cloudOfTerraformType(r.type);
      if (cloud === null) {
        this.skippedConfig.add(cfg);
        const provider = r.type.split('_')[0] ?? r.type;
        nonCloud.set(provider, (nonCloud.get(provider) ?? 0) + 1);
        continue;
      }
      if (cloud === 'aws' && TERRAFORM_MERGED_TYPES[r.type] !== undefined) merged.push(r);
      else nodeResources.push({ r, cloud, arn: null, region: null });
    }

    this.resolveRegionsAndAccounts(nodeResources.filter((n) => n.cloud === 'aws'));
    for (const entry of nodeResources) {
      const r = entry.r;
      const node = entry.cloud === 'aws' ? this.addAwsNode(entry) : this.addOtherCloudNode(r, entry.cloud);
      if (node !== null && r.deposed === null) this.nodeByAddress.set(r.address, node);
    }
    // Default tags that could not be evaluated (noted while the nodes were built).
    for (const message of this.defaults?.warnings ?? []) this.b.warn(message);
    this.mergeAll(merged);
    if (this.resolver !== null) this.noteUnknownReferences(nodeResources);
    this.fillTerraformGaps();
    linkInventory(this.b);
    this.dependencyEdges(resources);

    if (nonCloud.size > 0) {
      const list = [...nonCloud.entries()].map(([p, n]) => `${p}: ${n}`).join(', ');
      this.b.warn(`skipped resources of non-cloud providers (${list})`);
    }
    return this.b.result();
  }

  // ------------------------------------------------------------ regions

  private resolveRegionsAndAccounts(aws: NodeEntry[]): void {
    const regions = new Set<string>();
    const accounts = new Set<string>();
    const pending: NodeEntry[] = [];
    let peerings = false;
    for (const entry of aws) {
      const r = entry.r;
      entry.arn = parseArn(r.values.arn);
      entry.region = this.ownRegion(r, entry.arn);
      const account = entry.arn?.account;
      if (account && account.length === 12 && !accounts.has(account) && /^\d{12}$/.test(account)) accounts.add(account);
      if (entry.region === null) pending.push(entry);
      else if (entry.region !== 'global') regions.add(entry.region);
      if (r.type === 'aws_vpc_peering_connection' || r.type === 'aws_vpc_peering_connection_accepter') peerings = true;
    }
    if (pending.length > 0 || peerings) {
      // Regionless resources (NAT gateways, peerings, TGW attachments…) take the region of what they sit in.
      const byNativeId = new Map<string, string>();
      const remember = (entry: NodeEntry) => {
        if (entry.region === null) return;
        const id = str(entry.r.values.id);
        if (id !== null) byNativeId.set(id, entry.region);
        const arn = str(entry.r.values.arn);
        if (arn !== null) byNativeId.set(arn, entry.region);
      };
      for (const entry of aws) remember(entry);
      for (let pass = 0; pass < 3 && pending.length > 0; pass++) {
        for (let i = pending.length - 1; i >= 0; i--) {
          const entry = pending[i] as NodeEntry;
          entry.region = this.parentRegion(entry.r, byNativeId);
          if (entry.region === null) continue;
          remember(entry);
          pending.splice(i, 1);
        }
      }
      // A peering is identified by its requester's region (both sides' views must meet).
      for (const entry of aws) {
        const r = entry.r;
        if (r.type !== 'aws_vpc_peering_connection' && r.type !== 'aws_vpc_peering_connection_accepter') continue;
        const requesterVpc = str(r.values.vpc_id);
        const region = requesterVpc === null ? undefined : byNativeId.get(requesterVpc);
        if (region !== undefined) entry.region = region;
      }
    }
    this.defaultRegion = this.options.region ?? (regions.size === 1 ? ([...regions][0] ?? null) : null);
    this.defaultAccount = this.options.account_id ?? (accounts.size === 1 ? ([...accounts][0] ?? null) : null);
    if (pending.length > 0 && this.defaultRegion === null) {
      this.b.warn(
        `could not tell the region of ${pending.length} resource(s) (e.g. ${pending[0]?.r.address}); they are placed in 'global' (pass a default region)`,
      );
    }
  }

  /** What the resource itself says about its region; null when nothing does. */
  private ownRegion(r: TfResource, arn: Arn | null): string | null {
    if (isGlobalTerraformType(r.type)) return 'global';
    const v = r.values;
    const own = str(v.region);
    if (own !== null && isRegionName(own)) return own;
    // The provider sets this setting's id to the region it applies to.
    if (r.type === 'aws_ebs_encryption_by_default') {
      const id = str(v.id);
      if (id !== null && isRegionName(id)) return id;
    }
    if (r.type === 'aws_ec2_transit_gateway_peering_attachment_accepter') {
      const peer = str(v.peer_region);
      if (peer !== null) return peer;
    }
    const provider = r.providerRegion ?? this.providerRegionOption(r.provider);
    if (provider !== null) return provider;
    if (arn?.region) return arn.region;
    return regionFromAvailabilityZone(v.availability_zone);
  }

  private providerRegionOption(provider: string): string | null {
    const map = this.options.provider_regions;
    if (map === undefined) return null;
    if (map[provider] !== undefined) return map[provider];
    // provider["registry.terraform.io/hashicorp/aws"].west → aws.west
    // Aliases are identifiers: letters, digits, '_' and '-' (`aws.us-east-1`).
    const m = /provider\["(?:[^"]*\/)?([^"/]+)"\](?:\.([\w-]+))?/.exec(provider);
    if (m === null) return map[provider] ?? null;
    const short = m[2] === undefined ? (m[1] as string) : `${m[1]}.${m[2]}`;
    return map[short] ?? null;
  }

  private parentRegion(r: TfResource, byNativeId: Map<string, string>): string | null {
    const v = r.values;
    for (const attribute of REGION_PARENT_ATTRIBUTES) {
      const ref = str(v[attribute]);
      if (ref === null) continue;
      const region = byNativeId.get(ref) ?? (parseArn(ref)?.region || null);
      if (region) return region;
    }
    for (const attribute of ['subnet_ids', 'subnets', 'vpc_security_group_ids']) {
      for (const ref of strList(v[attribute])) {
        const region = byNativeId.get(ref);
        if (region !== undefined) return region;
      }
    }
    return null;
  }

  private accountOf(entry: NodeEntry): string | null {
    if (entry.arn?.account) return entry.arn.account;
    return str(entry.r.values.owner_id) ?? this.defaultAccount;
  }

  // ------------------------------------------------------------ nodes

  private addAwsNode(entry: NodeEntry): NodeInput | null {
    const r = entry.r;
    const type = infracastTypeForTerraform(r.type) as string;
    const region = entry.region ?? this.defaultRegion ?? 'global';
    const account = this.accountOf(entry);
    const identity = awsIdentity(r);
    // Resources a plan creates do not exist yet: they are known by their address.
    const creating = r.actions?.includes('create') === true;
    const byAddress = creating || identity === null || isUnknown(identity);
    const scoped = ACCOUNT_SCOPED_NAME_TYPES.has(type);
    const key = byAddress ? r.address : scoped ? accountScopedKey(account, identity as string) : (identity as string);
    const { tags, unknownKeys } = terraformTags(r.values, this.defaultTagsOf(r, 'aws'));
    const arn = str(r.values.arn);
    const id = str(r.values.id);
    const overlay = nodeAttributes(r, { account, region });
    const attributes = rawAttributes(r);
    for (const k in overlay) {
      const v = overlay[k];
      if (v === undefined) delete attributes[k];
      else attributes[k] = v;
    }
    annotate(attributes, r, unknownKeys);
    const bare = typeof identity === 'string' ? identity : null;
    // Most EC2 resources have an ARN attribute; those that do not (NAT gateways…) get the one AWS would give them.
    let constructed: string | null = null;
    if (arn === null) {
      const ec2Type = EC2_ARN_RESOURCE_TYPES[type as AwsType];
      const nativeEc2Id = id ?? bare;
      if (ec2Type !== undefined && nativeEc2Id !== null) constructed = ec2Arn(region, account, ec2Type, nativeEc2Id);
    }
    return this.b.addNode({
      provider: 'aws',
      type,
      region,
      key,
      name: tags.Name || (byAddress ? r.address : awsDisplayName(r, bare ?? r.address)),
      account,
      nativeId: arn ?? constructed ?? id ?? bare,
      tags,
      attributes,
      aliases: [bare, id],
    });
  }

  /** azurerm / google resources: generic nodes with their tags / labels. */
  private addOtherCloudNode(r: TfResource, cloud: Cloud): NodeInput | null {
    const type = infracastTypeForTerraform(r.type) as string;
    const v = r.values;
    const id = str(v.id);
    const creating = r.actions?.includes('create') === true;
    const key = creating || id === null ? r.address : id;
    let region = 'global';
    let account: string | null = null;
    if (cloud === 'azure') {
      const location = str(v.location);
      if (location !== null) region = location.toLowerCase().replace(/\s+/g, '');
      account = /^\/subscriptions\/([^/]+)/i.exec(id ?? '')?.[1] ?? null;
    } else {
      const zone = str(v.zone);
      region =
        str(v.region) ??
        (zone === null ? null : zone.replace(/-[a-z]$/, '')) ??
        str(v.location)?.toLowerCase() ??
        'global';
      account = str(v.project);
    }
    const { tags, unknownKeys } =
      cloud === 'google' ? googleLabels(v, this.defaultTagsOf(r, 'google')) : terraformTags(v, null);
    const attributes = rawAttributes(r);
    annotate(attributes, r, unknownKeys);
    return this.b.addNode({
      provider: cloud,
      type,
      region,
      key,
      name: tags.Name || str(v.name) || (creating ? r.address : (id ?? r.address)),
      account,
      nativeId: id ?? str(v.self_link),
      tags,
      attributes,
      aliases: [r.address],
    });
  }

  /**
   * The provider's default tags (aws) / labels (google) for a resource that
   * has tag attributes but no known merged map (`tags_all`,
   * `effective_labels`, `terraform_labels`), resolved as the plan validator
   * does; null when none apply. Autoscaling groups get none (the provider does
   * not add default tags to them), nor do types without tag attributes.
   */
  private defaultTagsOf(r: TfResource, kind: DefaultTagsKind): DefaultTags | null {
    if (this.defaults === null || r.type === 'aws_autoscaling_group') return null;
    const v = r.values;
    if (kind === 'aws') {
      if (isKnownRecord(v.tags_all) || !(Object.hasOwn(v, 'tags') || Object.hasOwn(v, 'tags_all'))) return null;
    } else {
      if (isKnownRecord(v.effective_labels) || isKnownRecord(v.terraform_labels)) return null;
      if (!['labels', 'effective_labels', 'terraform_labels'].some((k) => Object.hasOwn(v, k))) return null;
    }
    return this.defaults.tagsFor(kind, configAddress(r.module), r.type, r.name);
  }

  // ------------------------------------------------------------ merges

  private mergeAll(merged: TfResource[]): void {
    const ctx: MergeContext = {
      parent: (r, attribute, type) => this.parent(r, attribute, type),
      noteUnknown: (node, field, r, attribute) => this.noteUnknown(node, field, r, attribute),
      listener: (r) => this.listenerOfRule(r, merged),
      warn: (message) => this.b.warn(message),
    };
    // Listener rules last: they complete a listener, which must be merged already.
    const isRule = (r: TfResource) => LISTENER_RULE_TYPES.has(r.type);
    for (const r of [...merged.filter((m) => !isRule(m)), ...merged.filter(isRule)]) {
      const target = mergeResource(r, ctx);
      if (target !== undefined && r.deposed === null) this.nodeByAddress.set(r.address, target);
    }
  }

  /** The load balancer and port of a listener rule's `listener_arn` (see MergeContext.listener). */
  private listenerOfRule(r: TfResource, merged: TfResource[]): { lb: NodeInput; port: number } | undefined {
    const value = r.values.listener_arn;
    if (typeof value === 'string' && value !== '') {
      for (const lb of this.b.allNodes()) {
        if (lb.type !== T.loadBalancer) continue;
        const listener = recList(lb.attributes.listeners).find((l) => l.listener_arn === value);
        if (listener !== undefined && typeof listener.port === 'number') return { lb, port: listener.port };
      }
      this.b.warn(`${r.address}: listener_arn ${value} is not in the input; its ${r.type} is not merged`);
      return undefined;
    }
    if (isUnknown(value) && this.resolver !== null) {
      for (const address of this.resolver.references(r, 'listener_arn')) {
        const listener = merged.find((m) => m.address === address && LISTENER_TYPES.has(m.type));
        const lb = this.nodeByAddress.get(address);
        const port = listener === undefined ? null : num(listener.values.port);
        if (lb?.type === T.loadBalancer && port !== null) return { lb, port };
      }
    }
    if (isUnknown(value))
      this.b.warn(`${r.address}: listener_arn is unknown until apply and its configuration names no listener`);
    return undefined;
  }

  /** The node a merged resource modifies, by the id / ARN in `attribute`, or (plans) by its configuration reference. */
  private parent(r: TfResource, attribute: string, type: AwsType): NodeInput | undefined {
    const value = r.values[attribute];
    if (typeof value === 'string' && value !== '') {
      const node = this.b.find(type, value);
      if (node === undefined) {
        this.b.warn(`${r.address}: ${attribute} ${value} is not in the input; its ${r.type} is not merged`);
      }
      return node;
    }
    if (isUnknown(value)) {
      for (const id of this.referencedNodeIds(r, attribute)) {
        const node = this.b.getNode(id);
        if (node?.type === type) return node;
      }
      this.b.warn(`${r.address}: ${attribute} is unknown until apply and its configuration names no ${type}`);
    }
    return undefined;
  }

  private referencedNodeIds(r: TfResource, attribute: string): string[] {
    if (this.resolver === null) return [];
    const ids: string[] = [];
    for (const address of this.resolver.references(r, attribute)) {
      const id = this.nodeByAddress.get(address)?.id;
      if (id !== undefined && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  private noteUnknown(node: NodeInput, field: string, r: TfResource, attribute: string): void {
    if (this.resolver === null || !containsUnknown(r.values[attribute])) return;
    this.b.addUnknownReference(node.id, field, this.referencedNodeIds(r, attribute));
  }

  private noteUnknownReferences(nodeResources: { r: TfResource }[]): void {
    for (const { r } of nodeResources) {
      const node = this.nodeByAddress.get(r.address);
      if (node === undefined) continue;
      for (const [field, attribute] of REFERENCE_FIELDS[r.type] ?? []) this.noteUnknown(node, field, r, attribute);
      // A new group's `self` rules refer to the group itself, whose id is not known yet.
      if ((r.type === 'aws_security_group' || r.type === 'aws_default_security_group') && isUnknown(r.values.id)) {
        if (recList(r.values.ingress).some((rule) => rule.self === true)) {
          this.b.addUnknownReference(node.id, 'ingress', [node.id]);
        }
      }
    }
  }

  // ------------------------------------------------------------ fills

  /** What Terraform leaves implicit but the EC2 API (and so the tracer) spells out. */
  private fillTerraformGaps(): void {
    const nodes = this.b.allNodes();
    const enisByInstance = new Map<string, NodeInput[]>();
    for (const node of nodes) {
      if (node.type !== T.networkInterface) continue;
      const attachment = node.attributes.attachment;
      const instanceId = isRecord(attachment) ? str(attachment.instance_id) : null;
      if (instanceId === null) continue;
      enisByInstance.set(instanceId, [...(enisByInstance.get(instanceId) ?? []), node]);
    }
    for (const node of nodes) {
      const a = node.attributes as Rec;
      switch (node.type) {
        case T.vpc: {
          const main = str(a.main_route_table_id);
          const rt = main === null ? undefined : this.b.find(T.routeTable, main, node.region);
          if (rt !== undefined) (rt.attributes as Rec).main = true;
          break;
        }
        case T.instance:
          this.fillInstance(node, a, enisByInstance);
          break;
        case T.dbInstance: {
          const groupName = str(a.db_subnet_group_name);
          const group =
            groupName === null
              ? undefined
              : (this.b.find(T.dbSubnetGroup, accountScopedKey(node.account, groupName)) ??
                this.b.find(T.dbSubnetGroup, groupName, node.region));
          if (group !== undefined) {
            const g = group.attributes as Rec;
            if (Array.isArray(g.subnet_ids)) a.subnet_ids = g.subnet_ids;
            if (typeof g.vpc_id === 'string') a.vpc_id = g.vpc_id;
          }
          break;
        }
        case T.vpcPeeringConnection:
          this.fillPeering(a);
          break;
        case T.transitGatewayAttachment:
          this.fillDefaultTgwAssociation(node, a);
          break;
      }
    }
    for (const node of nodes) {
      if (node.type === T.routeTable) this.addLocalRoutes(node);
      if (node.type === T.transitGatewayAttachment) {
        const rtId = node.attributes.association_route_table_id;
        const rt = typeof rtId === 'string' ? this.b.find(T.transitGatewayRouteTable, rtId, node.region) : undefined;
        if (rt !== undefined)
          pushUnique(rt.attributes as Rec, 'association_attachment_ids', [
            node.attributes.transit_gateway_attachment_id,
          ]);
      }
    }
  }

  private fillInstance(node: NodeInput, a: Rec, enisByInstance: Map<string, NodeInput[]>): void {
    const profile = str(a.iam_instance_profile);
    if (profile !== null) {
      const p =
        this.b.find(T.iamInstanceProfile, accountScopedKey(node.account, profile)) ??
        this.b.find(T.iamInstanceProfile, profile);
      a.iam_instance_profile_arn = p === undefined ? null : (str(p.attributes.arn) ?? p.native_id);
    }
    // Only ENIs that are nodes: the primary ENI of a Terraform instance usually is not a resource of its own.
    const candidates: { id: string; index: number }[] = [];
    const primary = str(a.primary_network_interface_id);
    if (primary !== null) candidates.push({ id: primary, index: 0 });
    for (const block of recList(a.network_interface)) {
      const id = str(block.network_interface_id);
      if (id !== null) candidates.push({ id, index: typeof block.device_index === 'number' ? block.device_index : 0 });
    }
    const instanceId = str(a.instance_id);
    for (const eni of instanceId === null ? [] : (enisByInstance.get(instanceId) ?? [])) {
      const attachment = eni.attributes.attachment;
      const index = isRecord(attachment) && typeof attachment.device_index === 'number' ? attachment.device_index : 1;
      candidates.push({ id: String(eni.attributes.network_interface_id), index });
    }
    const ids = candidates
      .sort((x, y) => x.index - y.index)
      .map((c) => c.id)
      .filter((id) => this.b.find(T.networkInterface, id, node.region) !== undefined);
    a.network_interface_ids = [...new Set(ids)];
  }

  private fillPeering(a: Rec): void {
    for (const sideName of ['requester', 'accepter'] as const) {
      const side = a[sideName];
      if (!isRecord(side) || typeof side.vpc_id !== 'string') continue;
      const vpc = this.b.find(T.vpc, side.vpc_id);
      if (vpc === undefined) continue;
      const cidrs = vpc.attributes.cidr_blocks;
      if (Array.isArray(cidrs) && Array.isArray(side.cidr_blocks) && side.cidr_blocks.length === 0)
        side.cidr_blocks = cidrs;
      if (side.owner_id === null) side.owner_id = vpc.account;
      side.region = vpc.region;
    }
  }

  /** Attachments that use the TGW's default route tables (Terraform's defaults: associate and propagate). */
  private fillDefaultTgwAssociation(node: NodeInput, a: Rec): void {
    const tgwId = str(a.transit_gateway_id);
    const tgw = tgwId === null ? undefined : this.b.find(T.transitGateway, tgwId, node.region);
    if (tgw === undefined || a.resource_type !== 'vpc') return;
    const t = tgw.attributes as Rec;
    if (a.association_route_table_id == null && a.transit_gateway_default_route_table_association !== false) {
      a.association_route_table_id = str(t.default_association_route_table_id);
    }
    const propagation = str(t.default_propagation_route_table_id);
    if (propagation !== null && a.transit_gateway_default_route_table_propagation !== false) {
      const rt = this.b.find(T.transitGatewayRouteTable, propagation, node.region);
      if (rt !== undefined)
        pushUnique(rt.attributes as Rec, 'propagation_attachment_ids', [a.transit_gateway_attachment_id]);
    }
  }

  /** Terraform never lists a route table's local routes; the EC2 API does, one per VPC CIDR. */
  private addLocalRoutes(rt: NodeInput): void {
    const a = rt.attributes as Rec;
    if (!Array.isArray(a.routes) || a.routes.some((r) => isRecord(r) && r.target_type === 'local')) return;
    const vpc = this.referenced(rt, 'vpc_id', a.vpc_id, T.vpc);
    if (vpc === undefined) return;
    this.typeUnknownRouteTarget(rt, a.routes);
    const local = (cidr: unknown, ipv6: boolean) => ({
      destination_cidr: ipv6 ? null : cidr,
      destination_ipv6_cidr: ipv6 ? cidr : null,
      destination_prefix_list_id: null,
      target_type: 'local',
      target_id: 'local',
      state: 'active',
      origin: 'CreateRouteTable',
    });
    const v4 = Array.isArray(vpc.attributes.cidr_blocks) ? vpc.attributes.cidr_blocks : [];
    const v6 = Array.isArray(vpc.attributes.ipv6_cidr_blocks) ? vpc.attributes.ipv6_cidr_blocks : [];
    a.routes = [...v4.map((c) => local(c, false)), ...v6.map((c) => local(c, true)), ...a.routes];
  }

  /** The node a reference attribute names: by value, or (plans, value unknown) by configuration reference. */
  private referenced(node: NodeInput, field: string, value: unknown, type: string): NodeInput | undefined {
    if (typeof value === 'string') return this.b.find(type, value, node.region);
    if (!isUnknown(value)) return undefined;
    for (const id of this.b.unknownReferences.get(node.id)?.get(field) ?? []) {
      const target = this.b.getNode(id);
      if (target?.type === type) return target;
    }
    return undefined;
  }

  /**
   * Plans: a route whose target is unknown until apply (`gateway_id =
   * aws_internet_gateway.main.id`) gets its target type from the resource the
   * configuration names, when that is unambiguous.
   */
  private typeUnknownRouteTarget(rt: NodeInput, routes: unknown[]): void {
    const pending = routes.filter((r) => isRecord(r) && isUnknown(r.target_id) && r.target_type === 'unknown') as Rec[];
    if (pending.length !== 1) return;
    const targets = (this.b.unknownReferences.get(rt.id)?.get('routes') ?? [])
      .map((id) => this.b.getNode(id)?.type)
      .map((type) => (type === undefined ? undefined : ROUTE_TARGET_TYPE_BY_NODE_TYPE[type]))
      .filter((t) => t !== undefined);
    if (targets.length === 1) (pending[0] as Rec).target_type = targets[0];
  }

  // ------------------------------------------------------------ depends_on

  private dependencyEdges(resources: TfResource[]): void {
    for (const r of resources) {
      if (r.dependsOn.length === 0 || r.deposed !== null) continue;
      const source = this.nodeByAddress.get(r.address);
      if (source === undefined) continue;
      for (const dependency of r.dependsOn) {
        // Plans resolve references to exact instances; states record configuration addresses.
        const exact = this.nodeByAddress.get(dependency);
        if (exact !== undefined) {
          if (exact !== source) this.b.addEdgeBetween(source, exact, 'depends_on');
          continue;
        }
        const cfg = configAddress(dependency);
        const candidates = this.instancesByConfig.get(cfg);
        if (candidates === undefined) {
          if (!this.skippedConfig.has(cfg) && !isDataAddress(cfg)) {
            this.b.warn(`${r.address} depends on ${dependency}, which is not in the input`);
          }
          continue;
        }
        // States record `module.app.aws_security_group.sg`: inside a module instance, depend on the instances of
        // the enclosing module instance (module.app["a"].module.inner.… → module.app["a"].…), the nearest one.
        for (const c of nearestModuleInstances(candidates, r.module)) {
          const target = this.nodeByAddress.get(c.address);
          if (target !== undefined && target !== source) this.b.addEdgeBetween(source, target, 'depends_on');
        }
      }
    }
  }
}

const ROUTE_TARGET_TYPE_BY_NODE_TYPE: Readonly<Record<string, string>> = {
  [T.internetGateway]: 'internet_gateway',
  [T.egressOnlyInternetGateway]: 'egress_only_internet_gateway',
  [T.natGateway]: 'nat_gateway',
  [T.vpcPeeringConnection]: 'vpc_peering_connection',
  [T.transitGateway]: 'transit_gateway',
  [T.vpnGateway]: 'vpn_gateway',
  [T.networkInterface]: 'network_interface',
  [T.instance]: 'instance',
  [T.vpcEndpoint]: 'vpc_endpoint',
};

/**
 * The candidates whose module instance path is, step by step, the longest
 * prefix of `module` (the same instance, or one enclosing it); all of them
 * when none is.
 */
function nearestModuleInstances(candidates: TfResource[], module: string): TfResource[] {
  let best: TfResource[] = [];
  let bestLength = -1;
  for (const c of candidates) {
    const enclosing = c.module === module || c.module === '' || module.startsWith(`${c.module}.`);
    if (!enclosing || c.module.length < bestLength) continue;
    if (c.module.length > bestLength) {
      best = [];
      bestLength = c.module.length;
    }
    best.push(c);
  }
  return best.length > 0 ? best : candidates;
}

const isDataAddress = (cfg: string): boolean => cfg.startsWith('data.') || cfg.includes('.data.');

type TagsRead = { tags: Record<string, string>; unknownKeys: string[] };

/**
 * `tags_all` (provider default tags included) when present, else `tags`
 * with the provider's `default_tags` (`defaults`, from the configuration)
 * merged under them: the resource's own tags win.
 * Plans: values unknown until apply are left out and their keys listed; when
 * a whole map is unknown (the UNKNOWN marker is an object too, so test it
 * first) the known `tags` are used and '*' says the final set is not known.
 */
function terraformTags(values: Rec, defaults: DefaultTags | null): TagsRead {
  const all = values.tags_all;
  if (!isUnknown(all) && isRecord(all) && hasKeys(all)) return tagsFromMap(all);
  const fromTags = withDefaults(tagMap(values.tags), defaults);
  if (isUnknown(all) && !fromTags.unknownKeys.includes('*')) fromTags.unknownKeys.push('*');
  return fromTags;
}

/**
 * google `effective_labels` (provider default labels included) when present,
 * else `terraform_labels` (the same, minus labels set outside Terraform),
 * else `labels` with the provider's `default_labels` merged under them.
 */
function googleLabels(values: Rec, defaults: DefaultTags | null): TagsRead {
  const effective = values.effective_labels;
  if (isKnownRecord(effective)) return tagsFromMap(effective);
  const terraform = values.terraform_labels;
  const fromLabels = isKnownRecord(terraform) ? tagsFromMap(terraform) : withDefaults(tagMap(values.labels), defaults);
  if (isUnknown(effective) && !fromLabels.unknownKeys.includes('*')) fromLabels.unknownKeys.push('*');
  return fromLabels;
}

/**
 * Provider defaults under a resource's own tags (a key the resource sets,
 * even to a value unknown until apply, is the resource's). A default whose
 * value is unknown is listed in the unknown keys, never given a value;
 * defaults that could not be evaluated add '*' (their keys are not known).
 */
function withDefaults(own: TagsRead, defaults: DefaultTags | null): TagsRead {
  if (defaults === null) return own;
  const tags: Record<string, string> = {};
  const unknownKeys = [...own.unknownKeys];
  for (const [key, value] of defaults.tags) {
    if (Object.hasOwn(own.tags, key) || own.unknownKeys.includes(key)) continue;
    if (isUnknown(value)) {
      if (!unknownKeys.includes(key)) unknownKeys.push(key);
    } else tags[key] = value;
  }
  if (!defaults.complete && !unknownKeys.includes('*')) unknownKeys.push('*');
  return { tags: { ...tags, ...own.tags }, unknownKeys };
}

/** A map whose value is known (the UNKNOWN marker is an object too). */
const isKnownRecord = (v: unknown): v is Rec => !isUnknown(v) && isRecord(v);

/** One tag map; a map wholly unknown until apply gives no tags and '*', never a `$unknown` tag. */
function tagMap(v: unknown): TagsRead {
  if (isUnknown(v)) return { tags: {}, unknownKeys: ['*'] };
  return tagsFromMap(v);
}

function hasKeys(o: Rec): boolean {
  for (const _ in o) return true;
  return false;
}

/** The resource's own attributes, minus tags (they are the node's tags) and secrets (at any depth). */
function rawAttributes(r: TfResource): Rec {
  const out: Rec = {};
  const values = withoutSecrets(r.type, r.values);
  for (const k in values) {
    if (NON_ATTRIBUTE_KEYS.has(k)) continue;
    out[k] = values[k];
  }
  return out;
}

function annotate(attributes: Rec, r: TfResource, unknownTagKeys: string[]): void {
  attributes.terraform_address = r.address;
  if (r.actions !== null) attributes.terraform_actions = r.actions;
  if (r.deposed !== null) attributes.terraform_deposed = r.deposed;
  if (unknownTagKeys.length > 0) attributes.unknown_tag_keys = unknownTagKeys;
}

function containsUnknown(v: unknown, depth = 0): boolean {
  if (isUnknown(v)) return true;
  if (depth > 4) return false;
  if (Array.isArray(v)) return v.some((x) => containsUnknown(x, depth + 1));
  if (isRecord(v)) return Object.values(v).some((x) => containsUnknown(x, depth + 1));
  return false;
}

function pushUnique(a: Rec, field: string, values: unknown[]): void {
  const current = Array.isArray(a[field]) ? (a[field] as unknown[]) : [];
  a[field] = [...current, ...values.filter((v) => v !== null && v !== undefined && !current.includes(v))];
}
