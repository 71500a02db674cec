/**
 * The daily tagging compliance snapshot, as a timer in every server and worker process.
 * Every instance runs one; "at most one snapshot per tenant per day" holds
 * across instances through the unique (tenant_id, day) index, and an
 * instance first checks whether the day's snapshot exists, so the others
 * rarely even compute it. Ticks hourly: a server started at 23:59 or
 * restarted during the day still takes the day's snapshot.
 */
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
  const interval = opts.intervalMs ?? 3_600_000;
  const first = opts.firstDelayMs ?? 30_000 + Math.floor(Math.random() * 60_000);
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    // Never keeps the process alive on its own.
    timer.unref();
  };
  const tick = () => {
    running = tagging
      .takeDailySnapshots()
      .then(() => {})
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        running = null;
        schedule(interval);
      });
  };
  schedule(first);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
