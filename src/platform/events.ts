/**
 * The internal event bus: modules publish domain events (`job.completed`,
 * `job.failed`, …) and other modules subscribe (caches, the debounced findings
 * evaluation, tagging snapshots). In-process and synchronous to publish;
 * handlers run after the publisher's transaction has committed and their
 * failures are logged, never thrown back at the publisher. What must not be
 * lost to a crash (webhooks) goes through the outbox (./outbox.ts), which the
 * publisher writes in its transaction.
 */

export interface EventMap {
  /** `kind` is the job kind (`discovery`, …); `source` the discovery source or, for other kinds, the kind. */
  'job.completed': {
    tenantId: string;
    jobId: string;
    kind: string;
    source: string;
    counts: Record<string, number>;
    result: Record<string, unknown> | null;
  };
  'job.failed': {
    tenantId: string;
    jobId: string;
    kind: string;
    source: string;
    error: { code: string; message: string };
  };
  'job.cancelled': { tenantId: string; jobId: string; kind: string; source: string };
  /** The tenant's inventory graph changed (ingest, or a node/edge write). */
  'inventory.changed': { tenantId: string; version: number };
  /** A rule started failing on a node (a new finding, or a resolved one failing again: `reopened`). */
  'finding.created': {
    tenantId: string;
    findingId: string;
    ruleId: string;
    severity: string;
    nodeId: string;
    nodeType: string;
    message: string;
    reopened: boolean;
    inventoryVersion: number;
  };
  /** A finding was resolved: its rule passes now (`fixed`), its node is gone (`node_removed`) or by hand (`manual`). */
  'finding.resolved': {
    tenantId: string;
    findingId: string;
    ruleId: string;
    severity: string;
    nodeId: string;
    resolution: 'fixed' | 'node_removed' | 'manual';
    inventoryVersion: number;
  };
  /** A report's document is ready to download. */
  'report.succeeded': {
    tenantId: string;
    reportId: string;
    type: string;
    format: string;
    name: string;
    rowCount: number;
    sizeBytes: number;
    sha256: string;
  };
  /** A report's generation failed (its job failed; `error` says why). */
  'report.failed': {
    tenantId: string;
    reportId: string;
    type: string;
    format: string;
    name: string;
    error: { code: string; message: string };
  };
}

export type EventName = keyof EventMap;
type Handler<E extends EventName> = (payload: EventMap[E]) => void | Promise<void>;

export interface EventBus {
  publish<E extends EventName>(event: E, payload: EventMap[E]): void;
  subscribe<E extends EventName>(event: E, handler: Handler<E>): () => void;
  /** Resolves when every handler started so far has finished (tests, graceful shutdown). */
  idle(): Promise<void>;
}

export function createEventBus(onError: (event: string, err: unknown) => void = () => {}): EventBus {
  const handlers = new Map<EventName, Set<Handler<EventName>>>();
  const running = new Set<Promise<void>>();
  return {
    publish(event, payload) {
      for (const h of handlers.get(event) ?? []) {
        const p = Promise.resolve()
          .then(() => (h as Handler<typeof event>)(payload))
          .catch((err) => onError(event, err))
          .finally(() => running.delete(p));
        running.add(p);
      }
    },
    subscribe(event, handler) {
      let set = handlers.get(event);
      if (!set) {
        set = new Set();
        handlers.set(event, set);
      }
      set.add(handler as Handler<EventName>);
      return () => set.delete(handler as Handler<EventName>);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
