/**
 * The job runner: claims jobs of the registered kinds from the database with
 * a lease, runs them, heartbeats, and records how they ended.
 *
 * - Lease: a claimed job belongs to this worker until `lease_expires_at`;
 *   a heartbeat every lease/3 extends it. A worker that dies (kill -9) stops
 *   heartbeating; once the lease expires any worker claims the job again and
 *   re-runs it from the start (handlers make a run all-or-nothing).
 * - Fencing: every state change is conditional on still holding the lease,
 *   so a worker that lost its job can never overwrite the new owner's result.
 * - Cancel: the job's `cancel_requested` flag (read every second, or signalled
 *   in-process) aborts the handler at its next checkpoint; the job then ends
 *   `cancelled` with the handler's transaction rolled back.
 * - Shutdown: `stop()` interrupts running jobs at their next checkpoint and
 *   hands them back to the queue (status queued) so another worker can take
 *   them over at once.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { DatabaseDialect } from '../config.ts';
import type { Db, Executor } from '../db/index.ts';
import type { JobRow } from '../db/schema.ts';
import type { EventBus } from '../events.ts';
import { recordEvents } from '../outbox.ts';
import { type Clock, iso } from '../time.ts';
import type { JobInputStore } from './inputs.ts';
import type { JobKinds, JobSignals } from './registry.ts';
import * as store from './store.ts';
import {
  type InterruptReason,
  type JobContext,
  type JobError,
  JobFailure,
  JobInterrupted,
  type JobOutcome,
} from './types.ts';
import { wakeableSleep } from './wakeable-sleep.ts';

export interface JobRunnerOptions {
  db: Db;
  dialect: DatabaseDialect;
  kinds: JobKinds;
  signals: JobSignals;
  events: EventBus;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Where job inputs are kept: a finished job's is deleted. */
  inputs: JobInputStore;
  /** Identifies this worker in `lease_owner` (default host:pid:random). */
  workerId?: string;
  /** How long a claim lasts without a heartbeat (default 30 s). Heartbeats come every third of it. */
  leaseSeconds?: number;
  /** How often an idle worker looks for jobs (default 1000 ms); in-process starts wake it at once. */
  pollMs?: number;
  /** Jobs run at the same time by this worker (default 1). */
  concurrency?: number;
  /** Claims of one job before it is failed as ATTEMPTS_EXCEEDED (a job that keeps killing its worker). */
  maxAttempts?: number;
  /** How long stop() waits for running jobs to reach a checkpoint and hand their job back (default 15 s). */
  stopTimeoutMs?: number;
  /** Called on every progress report of a running job (metrics, logs, tests). */
  onProgress?: (jobId: string, progress: { percent: number; step: string }) => void;
}

export interface JobRunner {
  readonly workerId: string;
  start(): void;
  /** Stops claiming, interrupts running jobs at their next checkpoint and releases them. */
  stop(): Promise<void>;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
  /** Ids of the jobs this runner is running. */
  running(): string[];
  /** Resolves when nothing is claimable and nothing is running (tests). */
  drain(): Promise<void>;
}

interface Active {
  job: JobRow;
  controller: AbortController;
  reason: InterruptReason | null;
  progress: { percent: number; step: string } | null;
  progressDirty: boolean;
}

const CONTROL_TICK_MS = 1000;

export function createJobRunner(o: JobRunnerOptions): JobRunner {
  const workerId = o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = (o.leaseSeconds ?? 30) * 1000;
  const heartbeatMs = Math.max(100, Math.floor(leaseMs / 3));
  const tickMs = Math.min(CONTROL_TICK_MS, heartbeatMs);
  const pollMs = o.pollMs ?? 1000;
  const concurrency = o.concurrency ?? 1;
  const maxAttempts = o.maxAttempts ?? 3;
  const log = o.log.child({ worker: workerId });

  const active = new Map<string, Active>();
  const runs = new Set<Promise<void>>();
  let claiming = 0;
  let started = false;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();
  const unsubscribe: (() => void)[] = [];

  const now = () => o.clock();
  const leaseUntil = (d: Date) => iso(new Date(d.getTime() + leaseMs));

  const { sleep, wake } = wakeableSleep();

  async function claim(): Promise<JobRow | undefined> {
    const at = now();
    // Read first: idle polling never takes SQLite's writer lock.
    if (!(await store.hasClaimableJob(o.db, o.kinds.kinds(), iso(at)))) return undefined;
    return store.claimNextJob(o.db, o.dialect, {
      owner: workerId,
      kinds: o.kinds.kinds(),
      now: iso(at),
      leaseExpiresAt: leaseUntil(at),
    });
  }

  async function loop() {
    let failures = 0;
    while (!stopping) {
      if (active.size < concurrency) {
        try {
          // Counted until the job is launched: a claimed job is neither claimable nor in `runs` meanwhile.
          claiming += 1;
          let job: JobRow | undefined;
          try {
            job = await claim();
            if (job) launch(job);
          } finally {
            claiming -= 1;
          }
          failures = 0;
          if (job) continue;
        } catch (err) {
          failures += 1;
          // The database may be restarting; back off instead of spinning.
          log.warn({ err }, 'could not claim a job');
          await sleep(Math.min(30_000, pollMs * 2 ** Math.min(failures, 5)));
          continue;
        }
      }
      await sleep(pollMs);
    }
  }

  function launch(job: JobRow) {
    const entry: Active = {
      job,
      controller: new AbortController(),
      reason: null,
      progress: null,
      progressDirty: false,
    };
    active.set(job.id, entry);
    const run = runJob(entry)
      .catch((err) => log.error({ err, job: job.id }, 'job runner error'))
      .finally(() => {
        active.delete(job.id);
        runs.delete(run);
        wake();
      });
    runs.add(run);
  }

  const interrupt = (entry: Active, reason: InterruptReason) => {
    if (entry.controller.signal.aborted) return;
    entry.reason = reason;
    entry.controller.abort(new JobInterrupted(reason));
  };

  /**
   * Heartbeat (lease + progress) and cancel check, every second, never
   * overlapping; `nudge` runs one now (a new step is written at once, so it
   * is visible before a long transaction starts).
   */
  function watch(entry: Active): { stop(): void; nudge(): void } {
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    let running = false;
    let again = false;
    let lastBeat = Date.now();
    const tick = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      if (timer) clearTimeout(timer);
      timer = null;
      try {
        const due = Date.now() - lastBeat >= heartbeatMs;
        let control: store.HeartbeatResult;
        if (due || entry.progressDirty) {
          const at = now();
          const progress = entry.progressDirty ? entry.progress : null;
          entry.progressDirty = false;
          control = await store.heartbeat(o.db, entry.job.id, workerId, iso(at), leaseUntil(at), progress);
          lastBeat = Date.now();
        } else {
          control = await store.readJobControl(o.db, entry.job.id, workerId);
        }
        if (stopped) return;
        if (!control.held) interrupt(entry, 'lease_lost');
        else if (control.cancelRequested) interrupt(entry, 'cancelled');
      } catch (err) {
        log.warn({ err, job: entry.job.id }, 'heartbeat failed');
      }
      running = false;
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else timer = setTimeout(tick, tickMs);
    };
    timer = setTimeout(tick, tickMs);
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
      nudge: () => void tick(),
    };
  }

  /** A finished job's input is of no further use (a finished job cannot be started again). */
  const dropInput = (jobId: string) =>
    o.inputs.drop(o.db, jobId).catch((err) => log.warn({ err, job: jobId }, 'could not delete the job input'));

  async function runJob(entry: Active) {
    await runToEnd(entry);
    const row = await store.findJobById(o.db, entry.job.id).catch(() => undefined);
    if (row && (row.status === 'succeeded' || row.status === 'failed' || row.status === 'cancelled')) {
      await dropInput(row.id);
    }
  }

  async function runToEnd(entry: Active) {
    const { job } = entry;
    const jlog = log.child({ job: job.id, kind: job.kind, tenant: job.tenant_id });
    const base = { tenantId: job.tenant_id, jobId: job.id, kind: job.kind, source: job.source };
    const handler = o.kinds.get(job.kind);
    // Each end of the job is recorded in the outbox in the transaction that writes it (webhooks must hear
    // of it even if this process dies right after), then published here.
    const fail = async (error: JobError) => {
      const payload = { ...base, error: { code: error.code, message: error.message } };
      const failed = await o.db.transaction().execute(async (tx) => {
        const at = iso(now());
        if (!(await store.failJob(tx, job.id, workerId, at, error))) return false;
        await recordEvents(tx, [{ event: 'job.failed', payload }], at);
        return true;
      });
      if (failed) o.events.publish('job.failed', payload);
    };
    const completedEvent = (outcome: JobOutcome) => ({
      event: 'job.completed' as const,
      payload: { ...base, counts: outcome.counts ?? {}, result: outcome.result ?? null },
    });
    const complete = async (tx: Executor, outcome: JobOutcome) => {
      const at = iso(now());
      if (!(await store.completeJob(tx, job.id, workerId, at, outcome))) throw new JobInterrupted('lease_lost');
      await recordEvents(tx, [completedEvent(outcome)], at);
    };
    if (!handler) {
      await fail({ code: 'INTERNAL_ERROR', message: `no handler for job kind ${job.kind}` });
      return;
    }
    if (job.attempts > maxAttempts) {
      await fail({
        code: 'ATTEMPTS_EXCEEDED',
        message: `the job was started ${maxAttempts} times and its worker stopped each time before it finished`,
      });
      return;
    }
    if (job.cancel_requested === 1) interrupt(entry, 'cancelled');
    const watcher = watch(entry);
    const stopWatching = () => watcher.stop();
    const stopListening = o.signals.onCancelRequested(job.id, job.tenant_id, () => interrupt(entry, 'cancelled'));

    let completed: JobOutcome | null = null;
    const ctx: JobContext = {
      job,
      signal: entry.controller.signal,
      log: jlog,
      progress(percent, step) {
        const stepChanged = entry.progress?.step !== step;
        entry.progress = { percent: Math.max(0, Math.min(100, Math.round(percent))), step };
        entry.progressDirty = true;
        o.onProgress?.(job.id, entry.progress);
        if (stepChanged) watcher.nudge();
      },
      checkpoint() {
        if (entry.controller.signal.aborted) throw new JobInterrupted(entry.reason ?? 'cancelled');
      },
      async complete(tx, outcome) {
        await complete(tx, outcome);
        completed = outcome;
      },
      markCompleted(outcome) {
        completed = outcome;
      },
    };

    jlog.info({ attempt: job.attempts }, 'job started');
    try {
      const outcome = (await handler(ctx)) ?? {};
      if (!completed) {
        await o.db.transaction().execute((tx) => complete(tx, outcome));
        completed = outcome;
      }
    } catch (err) {
      stopWatching();
      if (completed) {
        jlog.error({ err }, 'error after the job was completed');
      } else if (err instanceof JobInterrupted || entry.controller.signal.aborted) {
        const reason = err instanceof JobInterrupted ? err.reason : (entry.reason ?? 'cancelled');
        if (reason === 'cancelled') {
          const cancelled = await o.db.transaction().execute(async (tx) => {
            const at = iso(now());
            if (!(await store.markRunningJobCancelled(tx, job.id, workerId, at))) return false;
            await recordEvents(tx, [{ event: 'job.cancelled', payload: base }], at);
            return true;
          });
          if (cancelled) o.events.publish('job.cancelled', base);
          jlog.info('job cancelled');
        } else if (reason === 'shutdown') {
          await store.releaseJob(o.db, job.id, workerId, iso(now()));
          jlog.info('job handed back to the queue (shutdown)');
        } else {
          jlog.warn('lease lost: another worker took the job over');
        }
        return;
      } else if (err instanceof JobFailure) {
        jlog.info({ code: err.code, message: err.message }, 'job failed');
        await fail({ code: err.code, message: err.message, details: err.details });
        return;
      } else {
        jlog.error({ err }, 'job failed with an unexpected error');
        await fail({ code: 'INTERNAL_ERROR', message: 'The job failed with an internal error; see the server log' });
        return;
      }
    } finally {
      stopWatching();
      stopListening();
    }
    if (completed) {
      const done = completed as JobOutcome;
      jlog.info({ counts: done.counts }, 'job succeeded');
      o.events.publish('job.completed', completedEvent(done).payload);
    }
  }

  return {
    workerId,
    start() {
      if (started) return;
      started = true;
      unsubscribe.push(o.signals.onQueued(() => wake()));
      // Inputs left behind (a tenant deleted with jobs pending, a crash mid-upload): at start, then daily.
      const sweep = () =>
        o.inputs
          .sweep(o.db)
          .then((n) => n > 0 && log.info({ removed: n }, 'removed job inputs no job will read'))
          .catch((err) => log.warn({ err }, 'could not sweep job inputs'));
      void sweep();
      const sweeper = setInterval(sweep, 24 * 60 * 60 * 1000);
      sweeper.unref();
      unsubscribe.push(() => clearInterval(sweeper));
      loopDone = loop();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      wake();
      for (const entry of active.values()) interrupt(entry, 'shutdown');
      const timeout = new Promise<void>((r) => setTimeout(r, o.stopTimeoutMs ?? 15_000).unref());
      await Promise.race([Promise.all([loopDone, ...runs]), timeout]);
      for (const u of unsubscribe.splice(0)) u();
    },
    wake,
    running: () => [...active.keys()],
    async drain() {
      for (;;) {
        while (runs.size > 0) await Promise.all([...runs]);
        const more = await store.hasClaimableJob(o.db, o.kinds.kinds(), iso(now()));
        if (!more && runs.size === 0 && claiming === 0) return;
        wake();
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
