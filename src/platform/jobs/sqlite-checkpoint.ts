/**
 * SQLite in WAL mode copies the log back into the database file
 * ("checkpoint") right after a commit once the log is over 1,000 pages. After
 * a transaction of 100k rows that copy is hundreds of MB, done synchronously
 * by the committing connection: a second-long stall of the event loop. So
 * large writers switch that off for their commit (`withoutAutoCheckpoint`)
 * and the copy is done by a second connection in a worker thread instead,
 * while the main connection keeps serving (WAL lets readers and the writer
 * carry on during a PASSIVE checkpoint).
 */
import { sql } from 'kysely';
import type { Executor } from '../db/index.ts';
import { startThread, type Thread } from './threads.ts';

let thread: Thread | null = null;
let suspended = 0;
let saved: number | null = null;

/** The SQLite database file behind a connection (null for an in-memory database). */
export async function databaseFile(db: Executor): Promise<string | null> {
  const rows = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  const main = rows.rows.find((r) => r.name === 'main');
  return main?.file ? main.file : null;
}

/**
 * Switches this connection's automatic checkpoints off until the returned
 * function is called (nested uses are counted): for when a large transaction
 * is committed here or on another connection, and checkpointed elsewhere.
 */
export async function suspendAutoCheckpoint(ex: Executor): Promise<(db: Executor) => Promise<void>> {
  if (suspended === 0) {
    const current = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(ex);
    saved = current.rows[0]?.wal_autocheckpoint ?? 1000;
  }
  suspended += 1;
  await sql`pragma wal_autocheckpoint = 0`.execute(ex);
  let done = false;
  return async (db) => {
    if (done) return;
    done = true;
    suspended -= 1;
    if (suspended === 0) await sql`pragma wal_autocheckpoint = ${sql.raw(String(saved ?? 1000))}`.execute(db);
  };
}

/**
 * Call inside the large transaction, before it commits; once it has
 * committed, call the returned function: it checkpoints in a thread, then
 * restores automatic checkpoints (when no other large writer still needs them off).
 */
export async function withoutAutoCheckpoint(tx: Executor): Promise<(db: Executor) => Promise<void>> {
  const resume = await suspendAutoCheckpoint(tx);
  let done = false;
  return async (db) => {
    if (done) return;
    done = true;
    try {
      const file = await databaseFile(db);
      if (file) {
        thread ??= startThread(new URL('./sqlite-checkpoint-thread.ts', import.meta.url));
        await thread.call('checkpoint', file).catch(() => {
          thread = null; // SQLite checkpoints again on its own once automatic checkpoints are back
        });
      }
    } finally {
      await resume(db);
    }
  };
}
