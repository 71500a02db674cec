/**
 * The daily tagging compliance snapshot, as a timer in every server and worker process.
 * Every instance runs one; "at most one snapshot per tenant per day" holds
 * across instances through the unique (tenant_id, day) index, and an
 * instance first checks whether the day's snapshot exists, so the others
 * rarely even compute it. Ticks hourly: a server started at 23:59 or
 * restarted during the day still takes the day's snapshot.
 */
import { startPeriodic } from '../../platform/periodic.ts';
import type { TaggingService } from './service.ts';

export interface DailySnapshotOptions {
  /** Between checks (default one hour). */
  intervalMs?: number;
  /** Before the first check (default 30–90 s, spread so instances started together do not collide). */
  firstDelayMs?: number;
  onError?: (err: unknown) => void;
}

export interface DailySnapshots {
  /** Stops the timer and waits for a running check to finish. */
  stop(): Promise<void>;
}

export function startDailySnapshots(
  tagging: Pick<TaggingService, 'takeDailySnapshots'>,
  opts: DailySnapshotOptions = {},
): DailySnapshots {
  return startPeriodic(() => tagging.takeDailySnapshots(), {
    intervalMs: opts.intervalMs ?? 3_600_000,
    firstDelayMs: opts.firstDelayMs ?? 30_000 + Math.floor(Math.random() * 60_000),
    onError: opts.onError,
  });
}
