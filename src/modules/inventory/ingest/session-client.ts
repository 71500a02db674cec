/**
 * Runs an IngestSession in a worker thread (large inputs: JSON.parse and the
 * parser would hold the event loop for seconds) or inline (small inputs: a
 * thread costs more to start than the work). The caller sees the same API.
 */
import { readFile } from 'node:fs/promises';
import { startThread, type Thread } from '../../../platform/jobs/threads.ts';
import type { Batch, BatchFormat, CopyFixed, EdgeKeyBatch, IngestParams, IngestSummary, KeyBatch } from './session.ts';
import { IngestSession } from './session.ts';
import type { SqlitePlanResult, SqliteWritePlan, SqliteWriteResult } from './sqlite-writer.ts';

export interface SessionClient {
  readonly threaded: boolean;
  append(part: string): Promise<void>;
  /** Appends a whole file's text, read by the session itself (in the thread, when threaded). */
  appendFile(path: string): Promise<void>;
  /** The appended Terraform state's digest, all but its serial; null when it cannot be told for certain. */
  stateDigest(jobName: string, parserVersion: string): Promise<string | null>;
  parse(params: IngestParams): Promise<IngestSummary>;
  nodeKeys(from: number, count: number): Promise<KeyBatch>;
  edgeKeys(from: number, count: number): Promise<EdgeKeyBatch>;
  /** `fixed` is required for the `copy` format. */
  nodeBatch(indices: number[], format: BatchFormat, fixed?: CopyFixed): Promise<Batch>;
  edgeBatch(indices: number[], format: BatchFormat, fixed?: CopyFixed): Promise<Batch>;
  /** Threaded sessions only: the SQLite compare and write phases in the thread (see sqlite-writer.ts). */
  planSqlite(
    args: { file: string; tenantId: string; summary: IngestSummary; pauseMs?: number },
    control: SharedArrayBuffer,
  ): Promise<SqlitePlanResult>;
  writeToSqlite(plan: SqliteWritePlan, control: SharedArrayBuffer): Promise<SqliteWriteResult>;
  checkpointSqlite(): Promise<void>;
  /** Ends the session; a thread is kept warm for the next one. */
  close(): Promise<void>;
  /** Ends the session at once, stopping whatever the thread is doing (cancel). */
  abort(): Promise<void>;
}

const THREAD_ENTRY = new URL('./session-thread.ts', import.meta.url);

/** One idle thread kept warm: starting one (and its TypeScript loader) costs a few hundred ms. */
let idle: Thread | null = null;

/**
 * Starts the ingest thread ahead of need (while a large input is still being
 * uploaded), so the job does not wait for it to load its modules.
 */
export function warmIngestThread(): void {
  idle ??= startThread(THREAD_ENTRY);
}

export function openSession(threaded: boolean): SessionClient {
  if (!threaded) {
    const s = new IngestSession();
    return {
      threaded,
      append: async (part) => s.append(part),
      appendFile: async (path) => s.append(await readFile(path, 'utf8')),
      stateDigest: async (jobName, parserVersion) => s.stateDigest(jobName, parserVersion),
      parse: async (params) => s.parse(params),
      nodeKeys: async (from, count) => s.nodeKeys(from, count),
      edgeKeys: async (from, count) => s.edgeKeys(from, count),
      nodeBatch: async (indices, format, fixed) => s.nodeBatch(indices, format, fixed),
      edgeBatch: async (indices, format, fixed) => s.edgeBatch(indices, format, fixed),
      planSqlite: () => Promise.reject(new Error('inline sessions compare on the main connection')),
      writeToSqlite: () => Promise.reject(new Error('inline sessions write on the main connection')),
      checkpointSqlite: async () => {},
      close: async () => {},
      abort: async () => {},
    };
  }
  const thread = idle ?? startThread(THREAD_ENTRY);
  idle = null;
  let closed = false;
  return {
    threaded,
    append: (part) => thread.call('append', part),
    appendFile: (path) => thread.call('appendFile', path),
    stateDigest: (jobName, parserVersion) => thread.call('stateDigest', { jobName, parserVersion }),
    parse: (params) => thread.call('parse', params),
    nodeKeys: (from, count) => thread.call('nodeKeys', { from, count }),
    edgeKeys: (from, count) => thread.call('edgeKeys', { from, count }),
    nodeBatch: (indices, format, fixed) => thread.call('nodeBatch', { indices, format, fixed }),
    edgeBatch: (indices, format, fixed) => thread.call('edgeBatch', { indices, format, fixed }),
    planSqlite: (args, control) => thread.call('planSqlite', { args, control }),
    writeToSqlite: (plan, control) => thread.call('writeToSqlite', { plan, control }),
    checkpointSqlite: () => thread.call('checkpointSqlite'),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await thread.call('reset');
      } catch {
        await thread.close();
        return;
      }
      if (idle === null) idle = thread;
      else await thread.close();
    },
    async abort() {
      if (closed) return;
      closed = true;
      await thread.close();
    },
  };
}
