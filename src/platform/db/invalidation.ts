/**
 * Invalidation of rows cached in memory (API keys and their tenants on the
 * request path). A service that changes such a row publishes `(topic, id)`
 * inside its transaction:
 *
 * - this process drops the entry at once; a reader that had started before
 *   cannot put the old row back (see `generation`);
 * - on PostgreSQL, `pg_notify` in the same transaction reaches every instance
 *   LISTENing on the same schema when the transaction commits (this one too,
 *   which closes the window in which a concurrent reader saw the old row).
 *   While the listening connection is down, `live` is false and caches must
 *   read through: a notification missed then would leave a stale entry.
 *
 * On SQLite one process serves the API (the worker process and the CLI never
 * change keys or tenants), so local invalidation is complete.
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { Executor } from './index.ts';

export type InvalidationTopic = 'api_key' | 'tenant';
export type InvalidationListener = (topic: InvalidationTopic | '*', id: string) => void;

export interface Invalidations {
  /** Drops `(topic, id)` here now, and (PostgreSQL) everywhere once `tx` commits. */
  publish(tx: Executor, topic: InvalidationTopic, id: string): Promise<void>;
  subscribe(listener: InvalidationListener): void;
  /** Bumped by every invalidation; a loader stores its result only if this did not move meanwhile. */
  readonly generation: number;
  /** False while invalidations from other instances could be missed. */
  readonly live: boolean;
  /** Where to report the listening connection going down (each time) and coming back. */
  onListenerChange(report: (err: Error | null) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'infracast_invalidate';

export interface PgInvalidationOptions {
  url: string;
  /** Schema the instance works in: instances on other schemas (tests) ignore each other. */
  schema: string;
  retryMs?: number;
}

function localInvalidations() {
  const listeners: InvalidationListener[] = [];
  const state = { generation: 0 };
  const emit = (topic: InvalidationTopic | '*', id: string) => {
    state.generation++;
    for (const l of listeners) l(topic, id);
  };
  return { listeners, state, emit };
}

/** SQLite: one serving process, invalidation is a function call. */
export function createLocalInvalidations(): Invalidations {
  const { listeners, state, emit } = localInvalidations();
  return {
    async publish(_tx, topic, id) {
      emit(topic, id);
    },
    subscribe: (l) => void listeners.push(l),
    get generation() {
      return state.generation;
    },
    live: true,
    onListenerChange() {},
    async close() {},
  };
}

/**
 * PostgreSQL: NOTIFY in the changing transaction, LISTEN on a connection of
 * its own, opened by the first subscriber (the API key cache) and closed with
 * the database.
 */
export function createPgInvalidations(opts: PgInvalidationOptions): Invalidations {
  const { listeners, state, emit } = localInvalidations();
  let client: pg.Client | null = null;
  let live = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let report: (err: Error | null) => void = () => {};

  const connect = async () => {
    if (closed) return;
    // TCP keepalive: a connection that silently died is noticed (and the cache bypassed) without traffic.
    const c = new pg.Client({ connectionString: opts.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    const lost = (err: Error) => {
      if (client !== c) return;
      client = null;
      live = false;
      c.end().catch(() => {});
      if (closed) return;
      report(err);
      retry = setTimeout(() => void connect(), opts.retryMs ?? 1000);
      retry.unref();
    };
    client = c;
    c.on('error', lost);
    c.on('end', () => lost(new Error('connection ended')));
    c.on('notification', (msg) => {
      const [schema, topic, id] = (msg.payload ?? '').split('|');
      if (schema === opts.schema && (topic === 'api_key' || topic === 'tenant') && id) emit(topic, id);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (client !== c) return;
      const wasDown = retry !== null;
      retry = null;
      // Anything may have changed while nobody was listening.
      emit('*', '*');
      live = true;
      if (wasDown) report(null);
    } catch (e) {
      lost(e as Error);
    }
  };

  return {
    async publish(tx, topic, id) {
      emit(topic, id);
      await sql`select pg_notify(${CHANNEL}, ${`${opts.schema}|${topic}|${id}`})`.execute(tx);
    },
    subscribe(l) {
      listeners.push(l);
      if (!client && !closed && retry === null) void connect();
    },
    get generation() {
      return state.generation;
    },
    get live() {
      return live;
    },
    onListenerChange(r) {
      report = r;
    },
    async close() {
      closed = true;
      live = false;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
