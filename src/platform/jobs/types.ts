/**
 * The contract between the generic job runner and the modules that register
 * job kinds (discovery today; reports and webhook deliveries later).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db/index.ts';
import type { JobRow } from '../db/schema.ts';

export type JobStatus = JobRow['status'];
export const JOB_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isFinished = (s: JobStatus): boolean => FINISHED_STATUSES.includes(s);

/** What a job reports when it fails: a stable code, a message for people, optional details. */
export interface JobError {
  code: string;
  message: string;
  details?: Record<string, unknown> | null;
}

/** Throw from a handler to fail the job with this code and message (no stack is kept). */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** Why a running job stopped before finishing. */
export type InterruptReason = 'cancelled' | 'shutdown' | 'lease_lost';

/** Thrown by `checkpoint()` once the job has been asked to stop; the runner decides what it means. */
export class JobInterrupted extends Error {
  constructor(readonly reason: InterruptReason) {
    super(`job interrupted: ${reason}`);
    this.name = 'JobInterrupted';
  }
}

export interface JobOutcome {
  counts?: Record<string, number>;
  result?: Record<string, unknown> | null;
}

export interface JobContext {
  /** The claimed row (status running, leased to this worker). */
  job: JobRow;
  /** Aborted when the job is cancelled, the worker shuts down or the lease is lost. */
  signal: AbortSignal;
  /** Records progress; written to the job row with the next heartbeat (never blocks). */
  progress(percent: number, step: string): void;
  /** Throws JobInterrupted when the job should stop; call it between batches. */
  checkpoint(): void;
  /**
   * Marks the job succeeded inside the handler's own transaction, so its writes
   * and its completion commit together. Throws JobInterrupted('lease_lost')
   * when another worker has taken the job over (the transaction then rolls back).
   */
  complete(tx: Executor, outcome: JobOutcome): Promise<void>;
  /**
   * Tells the runner the handler has already committed the job's completion
   * on a connection of its own (with COMPLETE_JOB_SQL, fenced by the lease),
   * and its `job.completed` in the outbox (INSERT_OUTBOX_SQL).
   */
  markCompleted(outcome: JobOutcome): void;
  log: FastifyBaseLogger;
}

/**
 * Runs one job. Return normally to succeed (the runner completes the job
 * unless the handler already called `complete`); throw JobFailure to fail it.
 */
export type JobHandler = (ctx: JobContext) => Promise<JobOutcome | undefined>;
