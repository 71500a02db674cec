/**
 * A job's input, stored in parts of a few MB. better-sqlite3 is synchronous:
 * writing or reading a 100 MB text value in one statement would hold the
 * event loop for hundreds of milliseconds, a few MB at a time does not.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Executor } from '../db/index.ts';

/** Characters per stored part (≈ 1 MB of ASCII JSON): a few milliseconds to write or read. */
export const INPUT_PART_CHARS = 1024 * 1024;

/** Splits text into parts of at most `size` UTF-16 units, never between the halves of a surrogate pair. */
export function* textParts(text: string, size = INPUT_PART_CHARS): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

/**
 * Splits UTF-8 bytes into text parts of at most `size` bytes, never inside a
 * multi-byte character (continuation bytes are 0b10xxxxxx).
 */
export function* utf8Parts(bytes: Uint8Array, size = INPUT_PART_CHARS): Generator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + size);
    while (end < bytes.length && end > start && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
    yield decoder.decode(bytes.subarray(start, end));
    start = end;
  }
}

/**
 * A table holding documents as ordered text parts `(key, part, content, size_bytes)`: job inputs, and
 * report contents on PostgreSQL (modules/reports/content.ts). Part by part, for the reason above.
 */
export interface PartTable {
  table: 'job_inputs' | 'report_contents';
  key: 'job_id' | 'report_id';
}
export const JOB_INPUT_PARTS: PartTable = { table: 'job_inputs', key: 'job_id' };

/** Stores one part; returns its size in bytes. */
export async function insertPart(db: Executor, t: PartTable, id: string, part: number, content: string) {
  const size = Buffer.byteLength(content, 'utf8');
  await sql`insert into ${sql.table(t.table)} (${sql.ref(t.key)}, part, content, size_bytes)
    values (${id}, ${part}, ${content}, ${size})`.execute(db);
  return size;
}

/** Reads a document's parts back one at a time, in order. */
export async function* readParts(db: Executor, t: PartTable, id: string): AsyncGenerator<string> {
  for (let part = 0; ; part++) {
    const { rows } = await sql<{ content: string }>`select content from ${sql.table(t.table)}
      where ${sql.ref(t.key)} = ${id} and part = ${part}`.execute(db);
    if (rows.length === 0) return;
    yield (rows[0] as { content: string }).content;
  }
}

/** Deletes a document, one part per statement (freeing 100 MB at once would stall SQLite). */
export async function dropParts(db: Executor, t: PartTable, id: string): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ part: number }>`select part from ${sql.table(t.table)}
      where ${sql.ref(t.key)} = ${id} order by part desc limit 1`.execute(db);
    if (rows.length === 0) return;
    await sql`delete from ${sql.table(t.table)} where ${sql.ref(t.key)} = ${id} and part = ${(rows[0] as { part: number }).part}`.execute(
      db,
    );
    await yieldToEventLoop();
  }
}

/** Stores the parts in order; returns the total size in bytes. Call inside the job's creating transaction. */
export async function storeJobInput(db: Executor, jobId: string, parts: Iterable<string>): Promise<number> {
  let part = 0;
  let total = 0;
  for (const content of parts) {
    total += await insertPart(db, JOB_INPUT_PARTS, jobId, part, content);
    part += 1;
    await yieldToEventLoop();
  }
  return total;
}

/** Reads the parts back one at a time, in order. */
export const readJobInput = (db: Executor, jobId: string): AsyncGenerator<string> =>
  readParts(db, JOB_INPUT_PARTS, jobId);

/** Deletes a finished job's input. */
export const dropJobInput = (db: Executor, jobId: string): Promise<void> => dropParts(db, JOB_INPUT_PARTS, jobId);

/** A job's input as the API received it: text parts to store in the database, or written whole to a file. */
export interface StorableInput {
  parts(): Iterable<string>;
  writeTo(path: string): Promise<void>;
}

/** Where an input can be read from: a file a thread can load by itself, or parts read one at a time. */
export type StoredInput = { file: string } | { parts: AsyncIterable<string> };

/**
 * Where jobs' inputs live until the job ends. PostgreSQL: in the database
 * (job_inputs), so a worker on another machine reads them. SQLite: in files
 * beside the database file: storing 100 MB in SQLite would write it twice
 * (log, then checkpoint), with commits on the event loop that the kernel may
 * hold back while the disk catches up; a file is written and read off the
 * event loop (libuv's pool, or the ingest thread itself).
 */
export interface JobInputStore {
  /**
   * Stores `input` for `jobId`. `inTransaction` runs inside the transaction
   * that creates the job; if that transaction fails, call `discard`.
   */
  stage(
    jobId: string,
    input: StorableInput,
  ): Promise<{ inTransaction(tx: Executor): Promise<number>; discard(): Promise<void> }>;
  open(db: Executor, jobId: string): Promise<StoredInput>;
  drop(db: Executor, jobId: string): Promise<void>;
  /**
   * Deletes what is kept outside the database for jobs whose rows were just deleted (their tenant
   * was): call after that transaction commits. Inputs in the database went with their rows.
   */
  forget(jobIds: readonly string[]): Promise<void>;
  /**
   * Deletes inputs no job will read (their job finished or was deleted with
   * its tenant; a write cut short by a crash). Returns how many went.
   */
  sweep(db: Executor): Promise<number>;
}

/** A file without a job row may be one being created right now: only older ones are orphans. */
const ORPHAN_AFTER_MS = 15 * 60 * 1000;

export const databaseInputStore: JobInputStore = {
  async stage(jobId, input) {
    return { inTransaction: (tx) => storeJobInput(tx, jobId, input.parts()), discard: async () => {} };
  },
  async open(db, jobId) {
    return { parts: readJobInput(db, jobId) };
  },
  drop: dropJobInput,
  // job_inputs rows go with their job (foreign key, cascade); finished jobs' are dropped by the runner.
  forget: async () => {},
  sweep: async () => 0,
};

export function fileInputStore(dir: string): JobInputStore {
  const pathOf = (jobId: string) => join(dir, `${jobId}.json`);
  return {
    async stage(jobId, input) {
      await mkdir(dir, { recursive: true });
      const path = pathOf(jobId);
      const partial = `${path}.partial`;
      await input.writeTo(partial);
      await rename(partial, path);
      return {
        inTransaction: async () => 0,
        discard: () => rm(path, { force: true }),
      };
    },
    async open(db, jobId) {
      const path = pathOf(jobId);
      const there = await stat(path).catch(() => null);
      // Jobs created before inputs moved to files keep theirs in the database.
      return there ? { file: path } : { parts: readJobInput(db, jobId) };
    },
    async drop(db, jobId) {
      await rm(pathOf(jobId), { force: true });
      await dropJobInput(db, jobId);
    },
    async forget(jobIds) {
      // Every file is tried; the first failure is reported after (the sweep removes what is left).
      const results = await Promise.allSettled(jobIds.map((id) => rm(pathOf(id), { force: true })));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async sweep(db) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const old = async (name: string) => {
        const s = await stat(join(dir, name)).catch(() => null);
        return s !== null && Date.now() - s.mtimeMs > ORPHAN_AFTER_MS;
      };
      let removed = 0;
      const remove = async (name: string) => {
        await rm(join(dir, name), { force: true });
        removed += 1;
      };
      for (const name of names.filter((n) => n.endsWith('.partial'))) if (await old(name)) await remove(name);
      const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await db.selectFrom('jobs').select(['id', 'status']).where('id', 'in', chunk).execute();
        const status = new Map(rows.map((r) => [r.id, r.status]));
        for (const id of chunk) {
          const s = status.get(id);
          const live = s === 'pending' || s === 'queued' || s === 'running';
          if (live) continue;
          if (s !== undefined || (await old(`${id}.json`))) await remove(`${id}.json`);
        }
      }
      return removed;
    },
  };
}
