/**
 * The inventory graph as plain data. Ingest parsers produce these, the store
 * persists them, and the path tracer, rule engine and tag validator read them.
 * Nothing here knows about HTTP or databases.
 */

/** Values that Terraform reports as "known after apply". Kept distinct from strings. */
export const UNKNOWN = { $unknown: true } as const;
export type Unknown = typeof UNKNOWN;
export const isUnknown = (v: unknown): v is Unknown =>
  typeof v === 'object' && v !== null && (v as { $unknown?: unknown }).$unknown === true;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * One cloud resource as a parser sees it. The store adds tenant, source and
 * timestamps (first_seen_at, last_seen_at, created_at, updated_at).
 *
 * `id` is `provider:region:type:name` where `name` is the stable identity of
 * the resource inside its type: the provider's native id (`i-0abc…`,
 * `sg-0123…`, bucket name, IAM role name) when it is known, else the Terraform
 * address for resources that do not exist yet (plans). The human-readable
 * name (Name tag, or the native id when there is none) is in `name`.
 */
export interface NodeInput {
  id: string;
  provider: string; // 'aws' | 'azure' | 'google' | ...
  type: string; // Infracast type, e.g. 'aws.ec2.instance'
  account: string | null; // AWS account id, Azure subscription, GCP project
  region: string; // 'global' where the resource has none
  name: string;
  native_id: string | null; // ARN when known, else the resource id
  tags: Record<string, string>;
  attributes: JsonObject;
}

export interface EdgeInput {
  source_id: string;
  target_id: string;
  type: EdgeType;
  attributes?: JsonObject;
}

export const EDGE_TYPES = [
  'contains', // vpc → subnet, subnet → instance/eni/…, module → resource
  'attached_to', // eni → instance, igw → vpc, volume → instance, eip → eni
  'member_of', // instance/eni → security group, subnet → nacl, subnet → route table
  'routes_to', // route table → gateway / peering / tgw / eni
  'peers_with', // vpc ↔ vpc through a peering connection
  'allows_traffic_from', // security group → security group referenced in its rules
  'assumes', // principal → iam role
  'targets', // load balancer → target, endpoint → service
  'depends_on', // terraform dependency
  'uses', // generic reference (instance → iam instance profile, …)
] as const;
export type EdgeType = (typeof EDGE_TYPES)[number] | (string & {});

/** What an ingest parser returns for one input. */
export interface ParsedInventory {
  nodes: NodeInput[];
  edges: EdgeInput[];
  /**
   * Where the parser knows them: the positions in `nodes` of each edge's source and target, two per edge
   * (source of edge i at 2i, target at 2i + 1). A consumer of 400k edges can then skip 800k lookups by id.
   */
  edgeEnds?: Uint32Array;
  /** Documents that were recognised as nothing the parser knows; reported, not fatal. */
  skipped_documents: string[];
  /** Non-fatal observations (e.g. a reference to a resource not in the input). */
  warnings: string[];
}

/** Builds the canonical node id. Region defaults to 'global'. */
export function nodeId(provider: string, region: string | null | undefined, type: string, name: string): string {
  return `${provider}:${region || 'global'}:${type}:${name}`;
}
