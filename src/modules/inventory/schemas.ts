import { type Static, Type } from 'typebox';
import { CsvQuery } from '../../platform/http/list-filters.ts';
import { NOT_BLANK, PaginationQuery, SortQuery, StringEnum, Timestamp } from '../../platform/http/schemas.ts';

const NODE_ID_DESCRIPTION =
  '`provider:region:type:name`, e.g. `aws:us-east-1:aws.ec2.instance:i-0abc…` (region `global` where there is none). ' +
  'URL-encode it in paths: ids may contain `/`, `"` and `[`.';

export const NodeId = Type.String({
  minLength: 7,
  maxLength: 500,
  description: NODE_ID_DESCRIPTION,
  examples: ['aws:us-east-1:aws.ec2.instance:i-0abc1234def567890'],
});

const TagKey = Type.String({ minLength: 1, maxLength: 256 });
export const Tags = Type.Record(TagKey, Type.String({ maxLength: 1024 }), {
  propertyNames: { minLength: 1, maxLength: 256 },
  description: 'Tags (labels) as a string map.',
  examples: [{ Name: 'web-01', env: 'prod' }],
});
export const Attributes = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Provider attributes as JSON (see src/core/network/attributes.ts for the network shape the path tracer reads).',
});

const Segment = (description: string, examples: string[]) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[^:]+$', description, examples });

export const Node = Type.Object(
  {
    id: NodeId,
    provider: Type.String({ examples: ['aws'] }),
    type: Type.String({ description: 'Infracast type (docs/inventory-types.md).', examples: ['aws.ec2.instance'] }),
    account: Type.Union([Type.String(), Type.Null()], { description: 'AWS account, Azure subscription, GCP project.' }),
    region: Type.String({ examples: ['us-east-1', 'global'] }),
    name: Type.String({ description: 'Name tag, or the native id when there is none.', examples: ['web-01'] }),
    native_id: Type.Union([Type.String(), Type.Null()], { description: 'ARN when known, else the resource id.' }),
    tags: Tags,
    attributes: Attributes,
    source: Type.String({
      description: '`manual`, or the id of the discovery job that last wrote the node.',
      examples: ['manual', 'job_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'],
    }),
    first_seen_at: Timestamp,
    last_seen_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Node', title: 'Node' },
);
export type NodeT = Static<typeof Node>;

export const CreateNodeBody = Type.Object(
  {
    id: Type.Optional({
      ...NodeId,
      description: 'Defaults to `provider:region:type:name`; when given it must start with `provider:region:type:`.',
    }),
    provider: Segment('Cloud provider.', ['aws']),
    type: Segment('Infracast type.', ['aws.ec2.instance']),
    account: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()])),
    region: Type.Optional(Segment('Defaults to `global`.', ['us-east-1'])),
    name: Type.String({ minLength: 1, maxLength: 400, pattern: NOT_BLANK }),
    native_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()])),
    tags: Type.Optional(Tags),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false },
);
export type CreateNodeBodyT = Static<typeof CreateNodeBody>;

export const ReplaceNodeBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 400, pattern: NOT_BLANK }),
    tags: Tags,
    attributes: Attributes,
  },
  { additionalProperties: false },
);
export type ReplaceNodeBodyT = Static<typeof ReplaceNodeBody>;

export const UpdateNodeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 400, pattern: NOT_BLANK })),
    tags: Type.Optional(
      Type.Union(
        [
          Type.Record(TagKey, Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]), {
            propertyNames: { minLength: 1, maxLength: 256 },
          }),
          Type.Null(),
        ],
        {
          description: 'Merged into the tags (JSON merge patch): a key set to null is removed; null removes every tag.',
          examples: [{ env: 'prod', obsolete: null }],
        },
      ),
    ),
    attributes: Type.Optional(
      Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
        description:
          'Merged into the attributes (RFC 7396 JSON merge patch): null removes a key; null removes every attribute.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateNodeBodyT = Static<typeof UpdateNodeBody>;

export const NODE_SORT_FIELDS = ['created_at', 'updated_at', 'name', 'type'] as const;

const Csv = (description: string, examples: string[]) => CsvQuery(description, { examples });

export const ListNodesQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(NODE_SORT_FIELDS, 'created_at'),
    types: Csv('Comma-separated types (any of).', ['aws.ec2.instance,aws.ec2.security_group']),
    provider: Csv('Comma-separated providers (any of).', ['aws']),
    region: Csv('Comma-separated regions (any of).', ['us-east-1,global']),
    account: Csv('Comma-separated accounts (any of).', ['111111111111']),
    source: Csv('`manual` or job ids, comma-separated (any of).', ['manual']),
    tag_missing: Csv('Nodes that lack any of these comma-separated tag keys.', ['cost-center']),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: NOT_BLANK,
        description: 'Substring of the name or native id (any case).',
      }),
    ),
    updated_since: Type.Optional({ ...Timestamp, description: 'Only nodes updated at or after this instant.' }),
  },
  {
    additionalProperties: false,
    // `tag.<key>=v1,v2`: nodes whose tag <key> has any of the values. Other unknown parameters are still rejected.
    patternProperties: { '^tag\\.': Type.String({ maxLength: 2000 }) },
  },
);
export type ListNodesQueryT = Static<typeof ListNodesQuery> & Record<`tag.${string}`, string | undefined>;

export const NodeParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({
      minLength: 1,
      maxLength: 500,
      description: `${NODE_ID_DESCRIPTION} For cloud-discovered nodes, \`provider:region:type:<Name tag>\` also finds the one node with that name.`,
    }),
  },
  { additionalProperties: false },
);

export const NEIGHBOR_DIRECTIONS = ['in', 'out', 'both'] as const;
export const NeighborsQuery = Type.Object(
  {
    direction: Type.Optional(
      StringEnum(NEIGHBOR_DIRECTIONS, { default: 'both', description: 'Follow edges out of, into, or both ways.' }),
    ),
    types: Csv('Edge types to follow, comma-separated (any of); default all.', ['contains,member_of']),
    depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, default: 1, description: 'Hops (1–3).' })),
  },
  { additionalProperties: false },
);
export type NeighborsQueryT = Static<typeof NeighborsQuery>;

export const EdgeType = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z][a-z0-9_]*$',
  description: 'Relation, e.g. contains, attached_to, member_of, routes_to, peers_with.',
  examples: ['contains'],
});

export const Edge = Type.Object(
  {
    id: Type.String({
      description: '`edg_…`, derived from (source, type, target): one edge per relation.',
      examples: ['edg_4Q2MR7XK1PL8ST3VW6YZ0ABCDE'],
    }),
    source_id: NodeId,
    target_id: NodeId,
    type: EdgeType,
    attributes: Attributes,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Edge', title: 'Edge' },
);
export type EdgeT = Static<typeof Edge>;

export const CreateEdgeBody = Type.Object(
  {
    source_id: NodeId,
    target_id: NodeId,
    type: EdgeType,
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false },
);
export type CreateEdgeBodyT = Static<typeof CreateEdgeBody>;

export const EDGE_SORT_FIELDS = ['created_at', 'type', 'source_id', 'target_id'] as const;
export const ListEdgesQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(EDGE_SORT_FIELDS, 'created_at'),
    source_id: Csv('Comma-separated source node ids (any of); a comma inside double quotes belongs to the id.', [
      'aws:us-east-1:aws.ec2.vpc:vpc-0a1b',
    ]),
    target_id: Csv('Comma-separated target node ids (any of); a comma inside double quotes belongs to the id.', [
      'aws:us-east-1:aws.ec2.subnet:subnet-0a1b',
    ]),
    node_id: Csv(
      'Comma-separated node ids (any of): edges with one of these nodes at either end. ' +
        'A comma inside double quotes belongs to the id (`aws_subnet.app["a,b"]`).',
      ['aws:us-east-1:aws.ec2.instance:web-01'],
    ),
    types: Csv('Comma-separated edge types (any of).', ['contains,attached_to']),
  },
  { additionalProperties: false },
);
export type ListEdgesQueryT = Static<typeof ListEdgesQuery>;

export const EdgeParams = Type.Object(
  {
    t: Type.String({ minLength: 1, maxLength: 100, description: 'Tenant id or slug.' }),
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Edge id (`edg_…`).' }),
  },
  { additionalProperties: false },
);

export const Neighbors = Type.Object(
  {
    node: Type.Ref('Node'),
    nodes: Type.Array(Type.Ref('Node'), {
      description: 'Nodes reached within `depth` hops (the start node excluded).',
    }),
    edges: Type.Array(Type.Ref('Edge'), { description: 'Edges followed.' }),
    truncated: Type.Boolean({ description: 'True when the walk stopped at the size cap (2,000 edges).' }),
  },
  { additionalProperties: false },
);
