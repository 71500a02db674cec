/** Worker-thread entry: one IngestSession per thread, driven by session-client.ts. */
import { readFileSync } from 'node:fs';
import { serveThread } from '../../../platform/jobs/threads.ts';
import type { IngestSummary } from './session.ts';
import { type BatchFormat, type CopyFixed, type IngestParams, IngestSession } from './session.ts';
import {
  checkpointSqlite,
  closeWriter,
  forgetPlan,
  planInSqlite,
  type SqliteWritePlan,
  writeToSqlite,
} from './sqlite-writer.ts';

type BatchArg = { indices: number[]; format: BatchFormat; fixed?: CopyFixed };

const session = new IngestSession();

serveThread({
  reset: () => {
    closeWriter();
    forgetPlan();
    session.reset();
  },
  append: (part: string) => session.append(part),
  appendFile: (path: string) => session.append(readFileSync(path, 'utf8')),
  stateDigest: ({ jobName, parserVersion }: { jobName: string; parserVersion: string }) =>
    session.stateDigest(jobName, parserVersion),
  parse: (params: IngestParams) => session.parse(params),
  nodeKeys: ({ from, count }: { from: number; count: number }) => session.nodeKeys(from, count),
  edgeKeys: ({ from, count }: { from: number; count: number }) => session.edgeKeys(from, count),
  nodeBatch: ({ indices, format, fixed }: BatchArg) => session.nodeBatch(indices, format, fixed),
  edgeBatch: ({ indices, format, fixed }: BatchArg) => session.edgeBatch(indices, format, fixed),
  writeToSqlite: ({ plan, control }: { plan: SqliteWritePlan; control: SharedArrayBuffer }) =>
    writeToSqlite(session, plan, new Int32Array(control)),
  checkpointSqlite: () => checkpointSqlite(),
  planSqlite: ({
    args,
    control,
  }: {
    args: { file: string; tenantId: string; summary: IngestSummary; pauseMs?: number };
    control: SharedArrayBuffer;
  }) => planInSqlite(session, args, new Int32Array(control)),
});
