/**
 * Where reports' documents live, decided as for job inputs (platform/jobs/inputs.ts): beside a SQLite
 * database, in files (`reports/<tenant id>/`), so a large document is written and read off the event
 * loop and not twice through SQLite's log; on PostgreSQL, in `report_contents` as text parts of about
 * 1 MB, so any instance serves any report.
 *
 * A document becomes visible only with the transaction that completes its job (`save`'s `commit`):
 * on PostgreSQL its parts are written in that transaction; in files, under a name of its own attempt,
 * renamed into place before the commit and removed if the commit fails. A worker that lost its job to
 * another (an expired lease) so never overwrites or removes the other's document.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db, Executor } from '../../platform/db/index.ts';
import { INPUT_PART_CHARS, insertPart, type PartTable, readParts, textParts } from '../../platform/jobs/inputs.ts';

export const REPORT_CONTENT_PARTS: PartTable = { table: 'report_contents', key: 'report_id' };

export interface StoredContent {
  /** Where it is: what `open` and `remove` take (stored in `reports.content_key`). */
  key: string;
  bytes: number;
  sha256: string;
}

export interface ContentRef {
  tenantId: string;
  reportId: string;
}

export interface ReportContentStore {
  /**
   * Stores the chunks as the report's document, then runs `commit` in the transaction that makes it
   * visible (it records the key). If anything fails, nothing of the document is kept.
   */
  save<T>(
    ref: ContentRef & { attempt: number; extension: string },
    chunks: AsyncIterable<string>,
    commit: (tx: Executor, stored: StoredContent) => Promise<T>,
  ): Promise<T>;
  /** The document as a byte stream; null when it is not there. */
  open(ref: ContentRef & { key: string }): Promise<Readable | null>;
  /** Deletes a document whose report row was just deleted (PostgreSQL: the rows went with it). */
  remove(ref: ContentRef & { key: string }): Promise<void>;
  /** Deletes every document of a tenant that was just deleted. */
  forgetTenant(tenantId: string): Promise<void>;
  /** Deletes what a crashed worker left behind for this tenant (no report row points at it); returns how many. */
  sweep(tenantId: string): Promise<number>;
}

async function* sha256Of(chunks: AsyncIterable<string>, out: { bytes: number; hash: ReturnType<typeof createHash> }) {
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    out.hash.update(chunk, 'utf8');
    out.bytes += Buffer.byteLength(chunk, 'utf8');
    yield chunk;
  }
}

export function databaseReportContents(db: Db): ReportContentStore {
  return {
    async save(ref, chunks, commit) {
      return db.transaction().execute(async (tx) => {
        const sum = { bytes: 0, hash: createHash('sha256') };
        let part = 0;
        let pending = '';
        for await (const chunk of sha256Of(chunks, sum)) {
          pending += chunk;
          if (pending.length < INPUT_PART_CHARS) continue;
          const parts = [...textParts(pending)];
          pending = parts.pop() ?? '';
          for (const p of parts) await insertPart(tx, REPORT_CONTENT_PARTS, ref.reportId, part++, p);
        }
        if (pending.length > 0 || part === 0) await insertPart(tx, REPORT_CONTENT_PARTS, ref.reportId, part, pending);
        return commit(tx, { key: ref.reportId, bytes: sum.bytes, sha256: sum.hash.digest('hex') });
      });
    },
    async open(ref) {
      const first = await readParts(db, REPORT_CONTENT_PARTS, ref.key).next();
      if (first.done) return null;
      const parts = readParts(db, REPORT_CONTENT_PARTS, ref.key);
      return Readable.from(
        (async function* () {
          for await (const p of parts) yield Buffer.from(p, 'utf8');
        })(),
      );
    },
    // report_contents rows go with their report (foreign key, cascade), and with its tenant.
    remove: async () => {},
    forgetTenant: async () => {},
    sweep: async () => 0,
  };
}

/** A file without a report row pointing at it may be one being written right now: only older ones go. */
const ORPHAN_AFTER_MS = 15 * 60 * 1000;

export function fileReportContents(dir: string, db: Db): ReportContentStore {
  // Keys are made here (`<report id>-<attempt>.<extension>`); anything else is refused, so a key can never
  // name a path outside the tenant's directory.
  const SAFE_KEY = /^rpt_[0-9A-Z]{26}-\d+\.[a-z]+$/;
  const pathOf = (tenantId: string, key: string) => {
    if (!SAFE_KEY.test(key) || !/^[a-z]{3}_[0-9A-Z]{26}$/.test(tenantId))
      throw new Error(`bad report content key ${key}`);
    return join(dir, tenantId, key);
  };
  return {
    async save(ref, chunks, commit) {
      const key = `${ref.reportId}-${ref.attempt}.${ref.extension}`;
      const path = pathOf(ref.tenantId, key);
      const partial = `${path}.partial`;
      await mkdir(join(dir, ref.tenantId), { recursive: true });
      const sum = { bytes: 0, hash: createHash('sha256') };
      try {
        // pipeline, not pipe: a generation that fails or is cancelled midway rejects here (and closes the
        // file), instead of an unhandled 'error' on the source stream that would end the process.
        await pipeline(Readable.from(sha256Of(chunks, sum)), createWriteStream(partial));
        await rename(partial, path);
      } catch (e) {
        await rm(partial, { force: true });
        throw e;
      }
      try {
        return await db
          .transaction()
          .execute((tx) => commit(tx, { key, bytes: sum.bytes, sha256: sum.hash.digest('hex') }));
      } catch (e) {
        await rm(path, { force: true });
        throw e;
      }
    },
    async open(ref) {
      const path = pathOf(ref.tenantId, ref.key);
      const there = await stat(path).catch(() => null);
      return there?.isFile() ? createReadStream(path) : null;
    },
    async remove(ref) {
      await rm(pathOf(ref.tenantId, ref.key), { force: true });
    },
    async forgetTenant(tenantId) {
      if (!/^[a-z]{3}_[0-9A-Z]{26}$/.test(tenantId)) return;
      await rm(join(dir, tenantId), { recursive: true, force: true });
    },
    async sweep(tenantId) {
      const tenantDir = join(dir, tenantId);
      const names = await readdir(tenantDir).catch(() => [] as string[]);
      if (names.length === 0) return 0;
      const old = async (name: string) => {
        const s = await stat(join(tenantDir, name)).catch(() => null);
        return s !== null && Date.now() - s.mtimeMs > ORPHAN_AFTER_MS;
      };
      const kept = new Set(
        (
          await db
            .selectFrom('reports')
            .select('content_key')
            .where('tenant_id', '=', tenantId)
            .where('content_key', 'is not', null)
            .execute()
        ).map((r) => r.content_key),
      );
      let removed = 0;
      for (const name of names) {
        if (kept.has(name) || !(await old(name))) continue;
        await rm(join(tenantDir, name), { force: true });
        removed++;
      }
      return removed;
    },
  };
}
