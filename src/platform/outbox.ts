/**
 * The transactional outbox. A change that webhooks must hear of records its event in the transaction that
 * makes the change (`recordEvents`), so the event exists exactly when the change does; publishing on the
 * in-process bus after the commit stays as it was, for what is only an optimisation there (caches,
 * debounced evaluations). The dispatcher hands recorded events to the durable consumer (webhook fan-out,
 * report events) in a transaction that also deletes them: each event is handled once, even when the
 * process that made it died right after its commit, or several processes share a PostgreSQL database.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import type { DatabaseDialect } from './config.ts';
import type { Db, Executor } from './db/index.ts';
import type { DB } from './db/schema.ts';
import type { EventBus, EventMap, EventName } from './events.ts';
import { sortableRandom } from './ids.ts';
import { type Clock, iso } from './time.ts';

export interface OutboxEvent<E extends EventName = EventName> {
  id: string;
  event: E;
  payload: EventMap[E];
  /** When it was recorded (the change's commit, give or take). */
  created_at: string;
}

export type DurableEvent = { [E in EventName]: { event: E; payload: EventMap[E] } }[EventName];

/**
 * Handles a batch of recorded events inside the dispatcher's transaction. `emit` records a further event
 * (handled in a later batch) and publishes it on the bus once the transaction has committed.
 */
export type OutboxHandler = (
  tx: Transaction<DB>,
  batch: OutboxEvent[],
  emit: (event: DurableEvent) => void,
) => Promise<void>;

// Ids order events: milliseconds, then a sequence within this process (random ids could reorder events of
// one millisecond), then random characters so that processes never collide.
let lastMs = 0;
let sequence = 0;
export function outboxId(now = Date.now()): string {
  if (now <= lastMs) sequence++;
  else {
    lastMs = now;
    sequence = 0;
  }
  const random = sortableRandom(lastMs);
  return `evt_${random.slice(0, 10)}${sequence.toString(32).toUpperCase().padStart(6, '0')}${random.slice(10, 20)}`;
}

/** For a writer outside Kysely (the SQLite ingest thread): the same row as `recordEvents` writes. */
export const INSERT_OUTBOX_SQL =
  'insert into event_outbox (id, tenant_id, event, payload, created_at) values (?, ?, ?, ?, ?)';

export function outboxParams(e: DurableEvent, at: string): [string, string, string, string, string] {
  return [outboxId(), e.payload.tenantId, e.event, JSON.stringify(e.payload), at];
}

const INSERT_CHUNK = 100;

/** Records events in the caller's transaction, in order (yielding between chunks: thousands of findings). */
export async function recordEvents(tx: Executor, events: readonly DurableEvent[], at: string): Promise<void> {
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    const rows = events.slice(i, i + INSERT_CHUNK).map((e) => {
      const [id, tenant_id, event, payload, created_at] = outboxParams(e, at);
      return { id, tenant_id, event, payload, created_at };
    });
    await tx.insertInto('event_outbox').values(rows).execute();
  }
}

export interface OutboxDispatcherOptions {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
  handle: OutboxHandler;
  /** Called after a batch that handled events has committed. */
  afterCommit?: () => void;
  /** Events handled per transaction (default 200: SQLite runs a batch without yielding). */
  batchSize?: number;
  onError?: (err: unknown, eventIds: string[]) => void;
}

export function createOutboxDispatcher(o: OutboxDispatcherOptions) {
  const batchSize = o.batchSize ?? 200;
  const postgres = o.dialect === 'postgres';
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  /** Claims up to `limit` events (skipping ones another process holds), handles them and deletes them. */
  async function handleBatch(limit: number, onlyId?: string): Promise<{ handled: number; ids: string[] }> {
    const derived: DurableEvent[] = [];
    const unreadable: { err: unknown; row: { id: string; event: string; payload: string } }[] = [];
    const result = await o.db.transaction().execute(async (tx) => {
      let q = tx.selectFrom('event_outbox').selectAll().orderBy('id').limit(limit);
      if (onlyId !== undefined) q = q.where('id', '=', onlyId);
      if (postgres) q = q.forUpdate().skipLocked();
      const rows = await q.execute();
      if (rows.length === 0) return { handled: 0, ids: [] };
      const batch: OutboxEvent[] = [];
      for (const r of rows) {
        try {
          batch.push({
            id: r.id,
            event: r.event,
            payload: JSON.parse(r.payload),
            created_at: r.created_at,
          } as OutboxEvent);
        } catch (err) {
          // Never handled, however often tried: reported with what it held, and dropped.
          unreadable.push({ err, row: r });
        }
      }
      await o.handle(tx, batch, (e) => derived.push(e));
      if (derived.length > 0) await recordEvents(tx, derived, iso(o.clock()));
      const ids = rows.map((r) => r.id);
      await tx.deleteFrom('event_outbox').where('id', 'in', ids).execute();
      return { handled: rows.length, ids };
    });
    for (const u of unreadable) {
      o.onError?.(
        new Error(`unreadable ${u.row.event} event dropped: ${u.row.payload.slice(0, 500)}`, { cause: u.err }),
        [u.row.id],
      );
    }
    if (result.handled > 0) o.afterCommit?.();
    for (const e of derived) o.events.publish(e.event, e.payload as never);
    return result;
  }

  /**
   * A batch that fails is retried one event at a time, so one event that cannot be handled holds back only
   * itself (it stays recorded, tried again at the next drain) and not every event behind it.
   */
  async function drainLoop(): Promise<number> {
    let total = 0;
    const failed = new Set<string>();
    for (;;) {
      again = false;
      let handled = 0;
      try {
        handled = (await handleBatch(batchSize)).handled;
      } catch (err) {
        const ids = (await o.db.selectFrom('event_outbox').select('id').orderBy('id').limit(batchSize).execute()).map(
          (r) => r.id,
        );
        for (const id of ids) {
          if (failed.has(id)) continue;
          try {
            handled += (await handleBatch(1, id)).handled;
          } catch (one) {
            failed.add(id);
            o.onError?.(one, [id]);
          }
        }
        if (handled === 0) {
          if (failed.size === 0) o.onError?.(err, ids);
          return total;
        }
      }
      total += handled;
      if (handled < batchSize && !again) return total;
      // SQLite's calls do not yield (a promise chain holds the loop): let requests in between batches.
      await yieldToEventLoop();
    }
  }

  return {
    /** Handles every recorded event; concurrent calls share one run (and a call during a run makes it go on). */
    drain(): Promise<number> {
      if (running) {
        again = true;
        return running;
      }
      const run = drainLoop().finally(() => {
        if (running === run) running = null;
      });
      running = run;
      return run;
    },
    /** Drains every `pollMs` too: events left by a process that died, or recorded by processes without one. */
    start(pollMs = 2_000) {
      if (timer) return;
      timer = setInterval(() => {
        void this.drain().catch((err) => o.onError?.(err, []));
      }, pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => {});
    },
  };
}

export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;
