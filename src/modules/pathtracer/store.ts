/**
 * SQL for the path tracer: the tenant's inventory version and the part of
 * its inventory graph the network model reads. Every function takes the
 * database first and the tenant id second; nothing here knows about HTTP.
 */

import type { EdgeInput, NodeInput } from '../../core/inventory/types.ts';
import { AWS_NETWORK_TYPES } from '../../core/network/attributes.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { EdgeRow, NodeRow } from '../../platform/db/schema.ts';

/**
 * Only these node types carry or decide network traffic; everything else
 * (buckets, IAM, log groups…) is never loaded, so a tenant with a large
 * non-network inventory costs the tracer nothing.
 */
export const MODEL_NODE_TYPES: readonly string[] = Object.values(AWS_NETWORK_TYPES);

/**
 * The model reads edges only as a fallback for associations the attributes
 * lack: subnet → network ACL and subnet → route table (`member_of`), internet
 * gateway → VPC (`attached_to`). See buildNetworkModel in src/core/pathtrace/model.ts.
 */
export const MODEL_EDGE_SOURCES = [AWS_NETWORK_TYPES.subnet, AWS_NETWORK_TYPES.internetGateway] as const;
export const MODEL_EDGE_TYPES = ['member_of', 'attached_to'] as const;

/** The columns the model needs (tags are never read by the tracer, so never parsed). */
export type ModelNodeRow = Pick<
  NodeRow,
  'id' | 'provider' | 'type' | 'account' | 'region' | 'name' | 'native_id' | 'attributes'
>;
export type ModelEdgeRow = Pick<EdgeRow, 'source_id' | 'target_id' | 'type'>;

/** One page (keyset on id) of the tenant's network nodes. */
export async function networkNodePage(
  db: Executor,
  tenantId: string,
  afterId: string | null,
  limit: number,
): Promise<ModelNodeRow[]> {
  let q = db
    .selectFrom('nodes')
    .select(['id', 'provider', 'type', 'account', 'region', 'name', 'native_id', 'attributes'])
    .where('tenant_id', '=', tenantId)
    .where('type', 'in', MODEL_NODE_TYPES);
  if (afterId !== null) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

/** The edges the model reads (see MODEL_EDGE_TYPES): a few per subnet and gateway. */
export async function modelEdges(db: Executor, tenantId: string): Promise<ModelEdgeRow[]> {
  return db
    .selectFrom('edges as e')
    .innerJoin('nodes as n', (j) => j.onRef('n.tenant_id', '=', 'e.tenant_id').onRef('n.id', '=', 'e.source_id'))
    .select(['e.source_id', 'e.target_id', 'e.type'])
    .where('e.tenant_id', '=', tenantId)
    .where('n.type', 'in', MODEL_EDGE_SOURCES)
    .where('e.type', 'in', MODEL_EDGE_TYPES)
    .orderBy('e.id')
    .execute();
}

export function toNodeInput(r: ModelNodeRow): NodeInput {
  return {
    id: r.id,
    provider: r.provider,
    type: r.type,
    account: r.account,
    region: r.region,
    name: r.name,
    native_id: r.native_id,
    tags: {}, // the tracer never reads tags: not loaded, not parsed
    attributes: JSON.parse(r.attributes) as NodeInput['attributes'],
  };
}

export const toEdgeInput = (e: ModelEdgeRow): EdgeInput => ({
  source_id: e.source_id,
  target_id: e.target_id,
  type: e.type,
});
