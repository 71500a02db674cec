/**
 * The idle wait of a polling worker (job runner, webhook deliverer): `sleep`
 * resolves after `ms`, or at once when `wake` is called during it; a wake
 * that comes while the worker is busy is remembered, so the next sleep
 * returns immediately instead of missing new work for a whole poll.
 */
export function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wakeUp: (() => void) | null = null;
  let wakePending = false;
  return {
    wake() {
      wakePending = true;
      wakeUp?.();
    },
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        if (wakePending) {
          wakePending = false;
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          wakePending = false;
          resolve();
        }
        wakeUp = done;
      }),
  };
}
