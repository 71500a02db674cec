/**
 * The path tracer service: "can traffic get from here to there?" and "what
 * can the internet reach?" over a tenant's inventory, answered by the pure
 * tracer in src/core/pathtrace.
 *
 * The network model is built once per tenant inventory version and kept in a
 * bounded in-memory LRU (see cache.ts), so repeated traces cost a map lookup
 * and the walk itself (~0.1 ms), never a reload.
 */
import type { NodeInput } from '../../core/inventory/types.ts';
import { isIPv6, parseIPv4, parseIPv4Cidr } from '../../core/network/ip.ts';
import {
  buildNetworkModel,
  checkEndpoints,
  type ExposureOptions,
  type ExposureResult,
  exposure,
  type NetworkModel,
  type TraceDestination,
  type TraceQuery,
  TraceQueryError,
  type TraceQueryProblem,
  type TraceResult,
  type TraceSource,
  trace,
} from '../../core/pathtrace/index.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/index.ts';
import { AppError, badRequest, type FieldError, notFound, unprocessable } from '../../platform/errors.ts';
import type { EventBus } from '../../platform/events.ts';
import { startThread, type Thread } from '../../platform/jobs/threads.ts';
import type { InventoryService } from '../inventory/service.ts';
import { inventoryVersion } from '../inventory/store.ts';
import { createModelCache, type ModelCacheStats } from './cache.ts';
import type { ExposureCall, ExposureReply } from './exposure-thread.ts';
import { EXPOSURE_PROTOCOLS, type ExposureBodyT, type TraceBodyT } from './schemas.ts';
import * as store from './store.ts';

/** Tenants whose network model stays in memory (a 10k-interface model is tens of MB). */
export const DEFAULT_MAX_CACHED_TENANTS = 16;
/** Nodes read per query while loading; the event loop gets a turn between pages. */
const LOAD_PAGE_SIZE = 1000;
/** Loads retried when an inventory write commits in the middle of one. */
const LOAD_ATTEMPTS = 3;
/** Exposure answers kept per model, by options (an exposure of a large network takes seconds). */
const EXPOSURES_PER_MODEL = 8;
/**
 * From this many network nodes, exposure runs on a worker thread: on 20k nodes
 * it takes seconds, which would stall every other request. Below, a thread
 * costs more to start than the work.
 */
export const DEFAULT_EXPOSURE_THREAD_MIN_NODES = 3000;

export interface TenantModel {
  version: number;
  model: NetworkModel;
  /** Network nodes loaded. */
  nodes: number;
  loadMs: number;
  buildMs: number;
  /** Answers (or answers being computed) by exposure options. */
  exposures: Map<string, Promise<ExposureResult>>;
  /** The rows the model was built from, kept only when exposure runs on the thread (which builds its own). */
  rows: { nodes: store.ModelNodeRow[]; edges: store.ModelEdgeRow[] } | null;
}

export interface PathTracerDeps {
  db: Db;
  events: EventBus;
  /** Node ids that are not exact: the inventory's Name fallback, 409 when ambiguous, 404 when unknown. */
  inventory: Pick<InventoryService, 'getNode'>;
  maxCachedTenants?: number;
  loadPageSize?: number;
  /** Network nodes from which exposure runs on a worker thread (Infinity: never; 0: always). */
  exposureThreadMinNodes?: number;
}

export interface PathTracerStats extends ModelCacheStats {
  /** The last model built: how many nodes, and how long reading and building took. */
  lastLoad: { nodes: number; load_ms: number; build_ms: number } | null;
  /** Exposures sent to the worker thread (the others ran inline). */
  threadedExposures: number;
  /** Worker thread failures in this process (each answered inline instead). */
  exposureThreadFailures: number;
}

const EXPOSURE_THREAD = new URL('./exposure-thread.ts', import.meta.url);
/** One exposure thread per process, started on first use; idle, it does not keep the process alive. */
let exposureThread: Thread | null = null;
let exposureThreadFailures = 0;

async function exposureOnThread(tenantId: string, entry: TenantModel, opts: ExposureOptions): Promise<ExposureResult> {
  exposureThread ??= startThread(EXPOSURE_THREAD);
  const thread = exposureThread;
  const call: ExposureCall = { tenantId, version: entry.version, opts };
  try {
    let reply = await thread.call<ExposureReply>('exposure', call);
    // The thread has no model of this version yet: send the rows once, it builds and keeps one.
    if (reply.missing)
      reply = await thread.call('exposure', { ...call, rows: entry.rows?.nodes, edges: entry.rows?.edges });
    if (reply.refused) {
      const { code, message, problems } = reply.refused;
      throw new TraceQueryError(code, message, problems);
    }
    if (!reply.result) throw new Error('exposure thread gave no answer');
    return reply.result;
  } catch (e) {
    if (e instanceof TraceQueryError) throw fromTraceError(e);
    // The thread died or failed: drop it (the next call starts another) and answer inline.
    exposureThreadFailures++;
    if (exposureThread === thread) exposureThread = null;
    void thread.close().catch(() => {});
    return exposure(entry.model, opts);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// --- request → TraceQuery ------------------------------------------------------------

const SOURCE_FIELDS = ['source_node_id', 'source_ip', 'source'] as const;
const DESTINATION_FIELDS = ['destination_node_id', 'destination_ip', 'destination_cidr'] as const;

function exactlyOne<K extends string>(body: Partial<Record<K, unknown>>, fields: readonly K[], what: string): K {
  const given = fields.filter((f) => body[f] !== undefined);
  if (given.length === 1) return given[0] as K;
  const list = `${fields.slice(0, -1).join(', ')} or ${fields[fields.length - 1]}`;
  if (given.length === 0) {
    throw badRequest(
      `Give one ${what}: ${list}`,
      fields.map((f) => ({ path: `body.${f}`, message: `one of ${fields.join(', ')} is required` })),
    );
  }
  throw badRequest(
    `Give only one ${what}, not ${given.join(' and ')}`,
    given.map((f) => ({
      path: `body.${f}`,
      message: `conflicts with ${given
        .filter((g) => g !== f)
        .map((g) => `body.${g}`)
        .join(', ')}: give one ${what}`,
    })),
  );
}

function ipProblem(field: string, text: string, kind: 'address' | 'cidr'): FieldError | null {
  const ok = kind === 'address' ? parseIPv4(text) !== null : parseIPv4Cidr(text) !== null;
  if (ok) return null;
  const v6 = isIPv6(text) || (kind === 'cidr' && isIPv6(text.split('/')[0] ?? ''));
  return {
    path: `body.${field}`,
    message: v6
      ? 'is IPv6; the path tracer models IPv4 only'
      : kind === 'address'
        ? 'must be an IPv4 address, e.g. 10.0.1.10'
        : 'must be an IPv4 CIDR, e.g. 10.0.0.0/16 or 0.0.0.0/0',
  };
}

const protocolNumberOf = (
  p: TraceBodyT['protocol'] | NonNullable<ExposureBodyT['protocols']>[number],
): number | null =>
  typeof p === 'number' ? p : p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : p === 'all' ? -1 : null;

/** Checks what TypeBox cannot say per field (exactly-one groups, combinations) and builds the tracer's query. */
export function toTraceQuery(body: TraceBodyT): TraceQuery {
  const sourceField = exactlyOne(body, SOURCE_FIELDS, 'source');
  const destinationField = exactlyOne(body, DESTINATION_FIELDS, 'destination');
  const problems: FieldError[] = [];
  const check = (p: FieldError | null) => {
    if (p) problems.push(p);
  };
  if (body.source_ip !== undefined) check(ipProblem('source_ip', body.source_ip, 'address'));
  if (body.destination_ip !== undefined) check(ipProblem('destination_ip', body.destination_ip, 'address'));
  if (body.destination_cidr !== undefined) check(ipProblem('destination_cidr', body.destination_cidr, 'cidr'));

  const protocol = body.protocol ?? 'tcp';
  const proto = protocolNumberOf(protocol);
  const hasPorts = proto === 6 || proto === 17;
  if (body.port !== undefined && body.port_range !== undefined) {
    check({ path: 'body.port_range', message: 'give either port or port_range, not both' });
  }
  for (const f of ['port', 'port_range'] as const) {
    if (body[f] !== undefined && !hasPorts) check({ path: `body.${f}`, message: 'applies only to tcp and udp' });
  }
  for (const f of ['icmp_type', 'icmp_code'] as const) {
    if (body[f] !== undefined && proto !== 1) check({ path: `body.${f}`, message: 'applies only to icmp' });
  }
  if (body.icmp_code !== undefined && body.icmp_type === undefined && proto === 1) {
    check({ path: 'body.icmp_code', message: 'needs icmp_type' });
  }
  for (const f of ['port_range', 'ephemeral_port_range'] as const) {
    const r = body[f];
    if (r && r.from > r.to) check({ path: `body.${f}`, message: 'from must not be greater than to' });
  }
  if (problems.length > 0) {
    throw badRequest(`Invalid trace: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  }

  const source: TraceSource =
    sourceField === 'source'
      ? { internet: true }
      : sourceField === 'source_ip'
        ? { ip: body.source_ip as string }
        : { node_id: body.source_node_id as string };
  const destination: TraceDestination =
    destinationField === 'destination_ip'
      ? { ip: body.destination_ip as string }
      : destinationField === 'destination_cidr'
        ? { cidr: body.destination_cidr as string }
        : { node_id: body.destination_node_id as string };
  const q: TraceQuery = { source, destination, protocol };
  if (body.port !== undefined) q.port = body.port;
  if (body.port_range !== undefined) q.port_range = body.port_range;
  if (body.icmp_type !== undefined) q.icmp_type = body.icmp_type;
  if (body.icmp_code !== undefined) q.icmp_code = body.icmp_code;
  if (body.all_paths !== undefined) q.all_paths = body.all_paths;
  if (body.max_paths !== undefined) q.max_paths = body.max_paths;
  if (body.check_return !== undefined) q.check_return = body.check_return;
  if (body.ephemeral_port_range !== undefined) q.ephemeral_port_range = body.ephemeral_port_range;
  return q;
}

/** The request field a tracer query field stands for: `source.ip` → `body.source_ip`, `source.internet` → `body.source`. */
export function bodyPathOf(field: string): string {
  return `body.${field === 'source.internet' ? 'source' : field.replace('.', '_')}`;
}

const fieldErrors = (problems: TraceQueryProblem[]): FieldError[] =>
  problems.map((p) => ({ path: bodyPathOf(p.field), message: p.message }));

/** The tracer's own refusals, as API errors naming the request fields at fault. */
function fromTraceError(e: unknown): unknown {
  if (!(e instanceof TraceQueryError)) return e;
  if (e.code === 'NODE_NOT_FOUND') return new AppError('NOT_FOUND', e.message);
  if (e.code === 'NOT_AN_ENDPOINT') return unprocessable(e.message, fieldErrors(e.problems));
  // Every tracer INVALID_QUERY names its fields; the fallback keeps `details` a list all the same.
  const details = e.problems.length > 0 ? fieldErrors(e.problems) : [{ path: 'body', message: e.message }];
  return badRequest(e.message, details);
}

/**
 * Checks what TypeBox cannot say per field (ports without tcp or udp) and builds the
 * tracer's options. Ports apply to the tcp and udp of `protocols`; icmp asked with them
 * is checked whole, as without ports.
 */
export function toExposureOptions(body: ExposureBodyT): ExposureOptions {
  const opts: ExposureOptions = {
    maxResults: body.max_results ?? 1000,
    includePaths: body.include_paths !== false,
  };
  if (body.protocols) opts.protocols = [...new Set(body.protocols)];
  if (body.ports) {
    const withPorts = (opts.protocols ?? EXPOSURE_PROTOCOLS).some((p) => {
      const n = protocolNumberOf(p);
      return n === 6 || n === 17;
    });
    if (!withPorts) {
      const problem = { path: 'body.ports', message: 'applies only to tcp and udp, and protocols names neither' };
      throw badRequest(`Invalid exposure: ${problem.path} ${problem.message}`, [problem]);
    }
    opts.ports = [...new Set(body.ports)].sort((a, b) => a - b);
  }
  return opts;
}

// --- the service ---------------------------------------------------------------------

export function createPathTracerService(deps: PathTracerDeps) {
  const { db, events, inventory } = deps;
  const pageSize = Math.max(1, deps.loadPageSize ?? LOAD_PAGE_SIZE);
  const threadMinNodes = deps.exposureThreadMinNodes ?? DEFAULT_EXPOSURE_THREAD_MIN_NODES;
  let lastLoad: PathTracerStats['lastLoad'] = null;
  let threadedExposures = 0;

  /**
   * Reads the tenant's network nodes a page at a time (the event loop gets a
   * turn between pages: better-sqlite3 is synchronous) and builds the model.
   * Pages are separate statements, so the version is read before and after:
   * every inventory write bumps it in the same transaction, so an unchanged
   * version means the pages saw one consistent inventory.
   */
  async function loadModel(tenantId: string): Promise<TenantModel> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const version = await inventoryVersion(db, tenantId);
      if (version === null) throw notFound('tenant', tenantId);
      const nodes: NodeInput[] = [];
      const rows: store.ModelNodeRow[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await store.networkNodePage(db, tenantId, after, pageSize);
        for (const row of page) {
          nodes.push(store.toNodeInput(row));
          rows.push(row);
        }
        if (page.length < pageSize) break;
        after = (page[page.length - 1] as store.ModelNodeRow).id;
        await yieldToEventLoop();
      }
      const edgeRows = await store.modelEdges(db, tenantId);
      const edges = edgeRows.map(store.toEdgeInput);
      const versionAfter = await inventoryVersion(db, tenantId);
      // Still changing after a few attempts (a busy ingest): use the last read, labelled with
      // the older version so the next request after the change loads again.
      if (versionAfter !== version && attempt < LOAD_ATTEMPTS) continue;
      await yieldToEventLoop();
      const loaded = performance.now();
      const model = buildNetworkModel(nodes, edges);
      const built = performance.now();
      lastLoad = { nodes: nodes.length, load_ms: round(loaded - started), build_ms: round(built - loaded) };
      return {
        version,
        model,
        nodes: nodes.length,
        loadMs: lastLoad.load_ms,
        buildMs: lastLoad.build_ms,
        exposures: new Map(),
        rows: nodes.length >= threadMinNodes ? { nodes: rows, edges: edgeRows } : null,
      };
    }
  }

  const cache = createModelCache<TenantModel>({
    load: loadModel,
    maxTenants: deps.maxCachedTenants ?? DEFAULT_MAX_CACHED_TENANTS,
  });
  events.subscribe('inventory.changed', ({ tenantId, version }) => cache.invalidate(tenantId, version));

  /**
   * The model for the tenant's inventory as of now. The version is read here,
   * not taken from the request's tenant row: that row may come from the API
   * key cache, and an ingest by another process bumps the version.
   */
  const modelFor = async (ctx: TenantContext) =>
    cache.get(ctx.tenant.id, (await inventoryVersion(db, ctx.tenant.id)) ?? 0);

  /**
   * An exact id of a network node is answered from the model. Anything else
   * goes through the inventory's resolver (same rules as GET /nodes/{id}:
   * `provider:region:type:<Name tag>`, 409 when ambiguous, 404 when unknown).
   * A node the model does not load (a bucket, a role) goes into `outside`, for
   * the same 422 the tracer gives a security group.
   */
  async function resolveNodeId(
    ctx: TenantContext,
    model: NetworkModel,
    id: string,
    outside: Map<string, { id: string; type: string }>,
  ): Promise<string> {
    if (model.nodes.has(id)) return id;
    const node = await inventory.getNode(ctx, id);
    if (!model.nodes.has(node.id) && !store.MODEL_NODE_TYPES.includes(node.type)) outside.set(node.id, node);
    return node.id;
  }

  return {
    async trace(ctx: TenantContext, body: TraceBodyT): Promise<TraceResult> {
      const query = toTraceQuery(body);
      const { model } = await modelFor(ctx);
      const outside = new Map<string, { id: string; type: string }>();
      if ('node_id' in query.source) {
        query.source = { node_id: await resolveNodeId(ctx, model, query.source.node_id, outside) };
      }
      if ('node_id' in query.destination) {
        query.destination = { node_id: await resolveNodeId(ctx, model, query.destination.node_id, outside) };
      }
      try {
        checkEndpoints(model, query, outside);
        return trace(model, query);
      } catch (e) {
        throw fromTraceError(e);
      }
    },

    async exposure(ctx: TenantContext, body: ExposureBodyT): Promise<ExposureResult> {
      const opts = toExposureOptions(body);
      const entry = await modelFor(ctx);
      // Exposure walks every interface (seconds on a large network): the answer is kept
      // with the model, so asking again until the inventory changes costs nothing, and
      // concurrent identical requests share one computation.
      const key = JSON.stringify([opts.ports ?? null, opts.protocols ?? null, opts.maxResults, opts.includePaths]);
      let answer = entry.exposures.get(key);
      if (!answer) {
        if (entry.rows) {
          threadedExposures++;
          answer = exposureOnThread(ctx.tenant.id, entry, opts);
        } else {
          try {
            answer = Promise.resolve(exposure(entry.model, opts));
          } catch (e) {
            answer = Promise.reject(fromTraceError(e));
          }
        }
        entry.exposures.set(key, answer);
        answer.catch(() => entry.exposures.delete(key));
        if (entry.exposures.size > EXPOSURES_PER_MODEL) {
          entry.exposures.delete(entry.exposures.keys().next().value as string);
        }
      }
      return answer;
    },

    /** Cache figures (tests, operators): loads, hits, tenants in memory, the last build. */
    stats(): PathTracerStats {
      return { ...cache.stats(), lastLoad, threadedExposures, exposureThreadFailures };
    },
  };
}

export type PathTracerService = ReturnType<typeof createPathTracerService>;

const round = (ms: number) => Math.round(ms * 10) / 10;
