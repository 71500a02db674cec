/**
 * Worker-thread entry for exposure on large networks: exposure walks every
 * interface from several internet addresses (seconds for 10k interfaces), too
 * long to hold the HTTP server's event loop. The thread keeps its own model
 * per tenant and version, built from the rows the parent sends once.
 */
import {
  buildNetworkModel,
  type ExposureOptions,
  type ExposureResult,
  exposure,
  type NetworkModel,
  TraceQueryError,
} from '../../core/pathtrace/index.ts';
import { serveThread } from '../../platform/jobs/threads.ts';
import { type ModelEdgeRow, type ModelNodeRow, toEdgeInput, toNodeInput } from './store.ts';

export interface ExposureCall {
  tenantId: string;
  version: number;
  opts: ExposureOptions;
  /** Sent only when the thread answered `{ missing: true }` (it has no model of this version). */
  rows?: ModelNodeRow[];
  edges?: ModelEdgeRow[];
}

/**
 * `missing`: send the rows; `refused`: the tracer refused the query (a TraceQueryError, sent as
 * data: a thrown error loses its field list on the way out of the thread).
 */
export interface ExposureReply {
  missing?: true;
  result?: ExposureResult;
  refused?: Pick<TraceQueryError, 'code' | 'message' | 'problems'>;
}

/** Models kept in the thread; a tenant that asks for exposure usually asks again. */
const MAX_MODELS = 4;
const models = new Map<string, { version: number; model: NetworkModel }>();

serveThread({
  exposure(call: ExposureCall): ExposureReply {
    let entry = models.get(call.tenantId);
    if (!entry || entry.version !== call.version) {
      if (!call.rows) return { missing: true };
      entry = {
        version: call.version,
        model: buildNetworkModel(call.rows.map(toNodeInput), (call.edges ?? []).map(toEdgeInput)),
      };
    }
    models.delete(call.tenantId);
    models.set(call.tenantId, entry);
    while (models.size > MAX_MODELS) models.delete(models.keys().next().value as string);
    try {
      return { result: exposure(entry.model, call.opts) };
    } catch (e) {
      if (!(e instanceof TraceQueryError)) throw e;
      return { refused: { code: e.code, message: e.message, problems: e.problems } };
    }
  },
});
