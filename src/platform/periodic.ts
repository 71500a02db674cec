/**
 * A task run on a timer in every server and worker process (daily snapshots, retention). Runs never overlap:
 * the next is scheduled when the last has finished. The timer never keeps the process alive on its own.
 */
export interface PeriodicOptions {
  /** Between the end of a run and the start of the next. */
  intervalMs: number;
  /** Before the first run (spread it, so instances started together do not collide). */
  firstDelayMs: number;
  onError?: (err: unknown) => void;
}

export interface Periodic {
  /** Stops the timer and waits for a running task to finish. */
  stop(): Promise<void>;
}

export function startPeriodic(task: () => Promise<unknown>, opts: PeriodicOptions): Periodic {
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    running = task()
      .then(() => {})
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        running = null;
        schedule(opts.intervalMs);
      });
  };
  schedule(opts.firstDelayMs);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
