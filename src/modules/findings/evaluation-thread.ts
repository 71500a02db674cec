/**
 * Worker-thread entry: reads a tenant's graph on a connection of its own and runs the rule engine over it
 * (see evaluation-client.ts). The graph of a large tenant is hundreds of megabytes of objects: built here, its
 * allocation and garbage collection never pause the HTTP server's event loop, and the evaluation runs on the
 * second core.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { evaluateRules } from '../../core/rules/index.ts';
import { serveThread, Transfer } from '../../platform/jobs/threads.ts';
import type { ChunkSpan, EvaluationConnection, ThreadedEvaluation } from './evaluation-client.ts';
import { edgeFromRow, type GraphEdgeRow, type GraphNodeRow, nodeFromRow } from './store.ts';

/** Items per JSON chunk of the answer: the main thread parses one chunk per event-loop turn. */
const CHUNK = 1000;

const VERSION_SQL = 'select inventory_version from tenants where id = $1';
const NODES_SQL =
  'select id, provider, type, account, region, name, native_id, tags, attributes from nodes where tenant_id = $1';
/** Edges of the given types (as `$2`, `$3`…). */
const edgesSql = (types: number) =>
  `select source_id, target_id, type, attributes from edges where tenant_id = $1 and type in (${Array.from(
    { length: types },
    (_, i) => `$${i + 2}`,
  ).join(', ')})`;

interface GraphRows {
  version: number;
  nodes: GraphNodeRow[];
  edges: GraphEdgeRow[];
}

/** The version and the graph, read in one snapshot (so the graph is of that version); null: no such tenant. */
async function readGraph(
  connection: EvaluationConnection,
  tenantId: string,
  edgeTypes: readonly string[],
): Promise<GraphRows | null> {
  if (connection.dialect === 'sqlite') {
    const db = new SQLite(connection.file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      const sqlite = (text: string) => db.prepare(text.replace(/\$\d+/g, '?'));
      db.exec('begin'); // a read transaction: every select below sees the same snapshot
      const row = sqlite(VERSION_SQL).get(tenantId) as { inventory_version: number } | undefined;
      if (!row) return null;
      const nodes = sqlite(NODES_SQL).all(tenantId) as GraphNodeRow[];
      const edges = edgeTypes.length
        ? (sqlite(edgesSql(edgeTypes.length)).all(tenantId, ...edgeTypes) as GraphEdgeRow[])
        : [];
      db.exec('commit');
      return { version: Number(row.inventory_version), nodes, edges };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({
    connectionString: connection.url,
    options: `-c search_path=${connection.schema}`,
  });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const version = await client.query<{ inventory_version: string | number }>(VERSION_SQL, [tenantId]);
    const row = version.rows[0];
    if (!row) return null;
    const nodes = await client.query<GraphNodeRow>(NODES_SQL, [tenantId]);
    const edges = edgeTypes.length
      ? (await client.query<GraphEdgeRow>(edgesSql(edgeTypes.length), [tenantId, ...edgeTypes])).rows
      : [];
    await client.query('commit');
    return { version: Number(row.inventory_version), nodes: nodes.rows, edges };
  } finally {
    await client.end();
  }
}

/**
 * The answer's lists as JSON arrays of at most CHUNK items, encoded one after the other into a single buffer
 * that is handed to the main thread without a copy (a structured clone of the same text as strings held its
 * event loop for tens of milliseconds at 100k nodes).
 */
class ChunkWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private readonly encoder = new TextEncoder();

  /** The spans of `items`' chunks in the buffer. */
  add(items: readonly unknown[]): ChunkSpan[] {
    const spans: ChunkSpan[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const bytes = this.encoder.encode(JSON.stringify(items.slice(i, i + CHUNK)));
      spans.push([this.size, this.size + bytes.length]);
      this.parts.push(bytes);
      this.size += bytes.length;
    }
    return spans;
  }

  finish(): ArrayBuffer {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      all.set(part, at);
      at += part.length;
    }
    return all.buffer;
  }
}

async function evaluate({
  connection,
  tenantId,
  edgeTypes,
}: {
  connection: EvaluationConnection;
  tenantId: string;
  edgeTypes: string[];
}): Promise<Transfer<ThreadedEvaluation> | null> {
  const graph = await readGraph(connection, tenantId, edgeTypes);
  if (!graph) return null;
  const nodes = graph.nodes.map(nodeFromRow);
  const edges = graph.edges.map(edgeFromRow);
  graph.nodes = [];
  graph.edges = [];
  const result = evaluateRules(nodes, edges);
  const writer = new ChunkWriter();
  const answer = {
    inventory_version: graph.version,
    resources_evaluated: result.resources_evaluated,
    node_ids: writer.add([...result.node_ids]),
    results: result.results.map((r) => ({
      rule_id: r.rule_id,
      evaluated: r.evaluated,
      evaluated_by_type: r.evaluated_by_type,
      skipped_node_ids: writer.add(r.skipped_node_ids),
      failures: writer.add(r.failures),
    })),
  };
  const bytes = writer.finish();
  return new Transfer({ ...answer, bytes }, [bytes]);
}

serveThread({ evaluate });
