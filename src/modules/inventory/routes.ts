import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import { commonErrors, conflictError, Envelope, NoContent, PageEnvelope } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import { TenantParams } from '../members/schemas.ts';
import {
  CreateEdgeBody,
  CreateNodeBody,
  EdgeParams,
  ListEdgesQuery,
  ListNodesQuery,
  type ListNodesQueryT,
  Neighbors,
  NeighborsQuery,
  NodeParams,
  ReplaceNodeBody,
  UpdateNodeBody,
} from './schemas.ts';
import type { InventoryService } from './service.ts';

const FALLBACK_NOTE =
  ' For cloud-discovered nodes, `provider:region:type:<Name tag>` also finds the one node with that name (409 listing the candidates when several have it).';

export async function nodeRoutes(app: App, { inventory }: { inventory: InventoryService }) {
  const NodeRef = Type.Ref('Node');

  app.get(
    '/tenants/:t/nodes',
    {
      schema: {
        operationId: 'listNodes',
        tags: ['nodes'],
        summary: 'List nodes',
        description:
          'Filters combine with AND; a comma means "any of". `tag.<key>=v1,v2` matches nodes whose tag has any of the values ' +
          '(e.g. `?tag.env=prod`); `tag_missing=<key>` nodes without that tag.',
        params: TenantParams,
        querystring: ListNodesQuery,
        response: { 200: PageEnvelope(NodeRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await inventory.listNodes(tenantContextOf(req), req.query as ListNodesQueryT, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.post(
    '/tenants/:t/nodes',
    {
      schema: {
        operationId: 'createNode',
        tags: ['nodes'],
        summary: 'Create a node',
        description: 'An existing id is a 409. The id defaults to `provider:region:type:name`.',
        params: TenantParams,
        body: CreateNodeBody,
        response: { 201: Envelope(NodeRef), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const node = await inventory.createNode(tenantContextOf(req), req.body);
      reply.code(201).header('location', `/api/v1/tenants/${req.tenant.slug}/nodes/${encodeURIComponent(node.id)}`);
      return one(node);
    },
  );

  app.get(
    '/tenants/:t/nodes/:id',
    {
      schema: {
        operationId: 'getNode',
        tags: ['nodes'],
        summary: 'Get a node',
        description: `The id is URL-encoded.${FALLBACK_NOTE}`,
        params: NodeParams,
        response: { 200: Envelope(NodeRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await inventory.getNode(tenantContextOf(req), req.params.id)),
  );

  app.put(
    '/tenants/:t/nodes/:id',
    {
      schema: {
        operationId: 'replaceNode',
        tags: ['nodes'],
        summary: 'Replace the name, tags and attributes of a node',
        description: `A later discovery job that sees the node writes what it found over the edit.${FALLBACK_NOTE}`,
        params: NodeParams,
        body: ReplaceNodeBody,
        response: { 200: Envelope(NodeRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await inventory.replaceNode(tenantContextOf(req), req.params.id, req.body)),
  );

  app.patch(
    '/tenants/:t/nodes/:id',
    {
      schema: {
        operationId: 'updateNode',
        tags: ['nodes'],
        summary: 'Update the name, tags or attributes of a node',
        description: `\`tags\` and \`attributes\` are JSON merge patches (RFC 7396): null removes a key.${FALLBACK_NOTE}`,
        params: NodeParams,
        body: UpdateNodeBody,
        consumes: ['application/json', 'application/merge-patch+json'],
        response: { 200: Envelope(NodeRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await inventory.updateNode(tenantContextOf(req), req.params.id, req.body)),
  );

  app.delete(
    '/tenants/:t/nodes/:id',
    {
      schema: {
        operationId: 'deleteNode',
        tags: ['nodes'],
        summary: 'Delete a node and its edges',
        description: FALLBACK_NOTE.trim(),
        params: NodeParams,
        response: { 204: NoContent, ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      await inventory.deleteNode(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/tenants/:t/nodes/:id/neighbors',
    {
      schema: {
        operationId: 'listNodeNeighbors',
        tags: ['nodes'],
        summary: "List a node's neighbours",
        description: 'Nodes and edges within `depth` (1–3) hops, following edges out of, into or both ways.',
        params: NodeParams,
        querystring: NeighborsQuery,
        response: { 200: Envelope(Neighbors), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await inventory.neighbors(tenantContextOf(req), req.params.id, req.query)),
  );
}

export async function edgeRoutes(app: App, { inventory }: { inventory: InventoryService }) {
  const EdgeRef = Type.Ref('Edge');

  app.get(
    '/tenants/:t/edges',
    {
      schema: {
        operationId: 'listEdges',
        tags: ['edges'],
        summary: 'List edges',
        description: 'Filters combine with AND; a comma means "any of".',
        params: TenantParams,
        querystring: ListEdgesQuery,
        response: { 200: PageEnvelope(EdgeRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await inventory.listEdges(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.post(
    '/tenants/:t/edges',
    {
      schema: {
        operationId: 'createEdge',
        tags: ['edges'],
        summary: 'Create an edge',
        description:
          'Both nodes must exist in the tenant (400 naming the missing one). One edge per (source, type, target): a second is a 409.',
        params: TenantParams,
        body: CreateEdgeBody,
        response: { 201: Envelope(EdgeRef), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const edge = await inventory.createEdge(tenantContextOf(req), req.body);
      reply.code(201).header('location', `/api/v1/tenants/${req.tenant.slug}/edges/${edge.id}`);
      return one(edge);
    },
  );

  app.get(
    '/tenants/:t/edges/:id',
    {
      schema: {
        operationId: 'getEdge',
        tags: ['edges'],
        summary: 'Get an edge',
        params: EdgeParams,
        response: { 200: Envelope(EdgeRef), ...commonErrors },
      },
    },
    async (req) => one(await inventory.getEdge(tenantContextOf(req), req.params.id)),
  );

  app.delete(
    '/tenants/:t/edges/:id',
    {
      schema: {
        operationId: 'deleteEdge',
        tags: ['edges'],
        summary: 'Delete an edge',
        params: EdgeParams,
        response: { 204: NoContent, ...commonErrors },
      },
    },
    async (req, reply) => {
      await inventory.deleteEdge(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
