import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** Main-thread work between two turns of the event loop, at most (well under the 100 ms stall budget). */
export const SLICE_MS = 10;

/**
 * Lets a long loop on the main thread give the event loop a turn once it has run for `budgetMs`. A budget in
 * time rather than in items holds on a slow machine as on a fast one, and whatever each item costs.
 *
 *   const slice = timeSlice();
 *   for (const item of items) { if (slice.due()) await slice.yield(); … }
 */
export function timeSlice(budgetMs = SLICE_MS) {
  let since = performance.now();
  return {
    /** True once the budget is spent: the caller should `await yield()` before going on. */
    due: () => performance.now() - since >= budgetMs,
    async yield(): Promise<void> {
      await yieldToEventLoop();
      since = performance.now();
    },
  };
}
