/** The timer behind daily snapshots and retention: first delay, no overlap, errors reported, stop waits. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startPeriodic } from '../../src/platform/periodic.ts';

describe('startPeriodic', () => {
  it('runs after the first delay, never overlaps a run, reports errors and keeps going; stop waits', async () => {
    const starts: number[] = [];
    const errors: unknown[] = [];
    let running = 0;
    let overlapped = false;
    const t0 = performance.now();
    const timer = startPeriodic(
      async () => {
        starts.push(performance.now() - t0);
        running++;
        if (running > 1) overlapped = true;
        await sleep(30); // longer than the interval: the next run waits for this one
        running--;
        if (starts.length === 2) throw new Error('boom');
      },
      { firstDelayMs: 40, intervalMs: 5, onError: (e) => errors.push(e) },
    );
    await sleep(20);
    expect(starts).toEqual([]);
    // Three runs take ≈ 145 ms; a loaded machine's timers drift, so wait for them (bounded) rather than a fixed time.
    const deadline = performance.now() + 5000;
    while (starts.length < 3 && performance.now() < deadline) await sleep(5);
    await timer.stop();
    const ran = starts.length;
    expect(ran).toBeGreaterThanOrEqual(3);
    expect(starts[0]).toBeGreaterThanOrEqual(35);
    for (let i = 1; i < ran; i++) expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(30);
    expect(overlapped).toBe(false);
    expect(running).toBe(0); // stop() waited for the run in progress
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
    await sleep(50);
    expect(starts.length).toBe(ran); // stopped
  });
});
