/**
 * Job kinds and in-process signals. Modules register the kinds they run
 * (`discovery`, later `report`, `webhook_delivery`); runners claim only jobs of
 * registered kinds. Signals let a service in the same process wake the runner
 * at once (instead of at its next poll) and deliver a cancel without waiting
 * for a heartbeat; other processes learn both from the database.
 */
import { EventEmitter } from 'node:events';
import type { JobHandler } from './types.ts';

export interface JobKinds {
  register(kind: string, handler: JobHandler): void;
  get(kind: string): JobHandler | undefined;
  kinds(): string[];
}

export function createJobKinds(): JobKinds {
  const handlers = new Map<string, JobHandler>();
  return {
    register(kind, handler) {
      if (handlers.has(kind)) throw new Error(`job kind ${kind} is already registered`);
      handlers.set(kind, handler);
    },
    get: (kind) => handlers.get(kind),
    kinds: () => [...handlers.keys()],
  };
}

export interface JobSignals {
  /** A job became claimable (queued). */
  queued(jobId: string): void;
  onQueued(fn: (jobId: string) => void): () => void;
  /**
   * Tells a runner of this process that is running the job to stop at its next
   * checkpoint; true when one was. Delivered before any database access, so it
   * reaches a job whose transaction holds SQLite's only connection.
   */
  cancelRequested(jobId: string, tenantId: string): boolean;
  /** A runner registers each job it runs; the returned function unregisters it. */
  onCancelRequested(jobId: string, tenantId: string, fn: () => void): () => void;
}

export function createJobSignals(): JobSignals {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const running = new Map<string, { tenantId: string; stop: () => void }>();
  return {
    queued: (id) => {
      emitter.emit('queued', id);
    },
    onQueued: (fn) => {
      emitter.on('queued', fn);
      return () => {
        emitter.off('queued', fn);
      };
    },
    cancelRequested(jobId, tenantId) {
      const r = running.get(jobId);
      if (!r || r.tenantId !== tenantId) return false;
      r.stop();
      return true;
    },
    onCancelRequested(jobId, tenantId, stop) {
      const entry = { tenantId, stop };
      running.set(jobId, entry);
      return () => {
        if (running.get(jobId) === entry) running.delete(jobId);
      };
    },
  };
}
