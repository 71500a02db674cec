/**
 * The server's SQLite connection never checkpoints. With SQLite's automatic
 * checkpoints, whichever commit finds the write-ahead log over 1,000 pages
 * copies the whole log into the database file, synchronously, on the event
 * loop: after a 100 MB job input or a 100k-resource ingest that is a stall of
 * hundreds of milliseconds for an unrelated request (a heartbeat, a PATCH).
 * Instead, this watches the log file and, when it changed, has a worker thread
 * checkpoint it on a connection of its own (PASSIVE: readers and the writer
 * carry on meanwhile). The thread starts on first need: short-lived
 * processes (the CLI, most tests) never pay for it.
 */
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./sqlite-checkpoint-worker.cjs', import.meta.url);

export interface CheckpointState {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface SqliteCheckpointer {
  /** Checkpoints now (or when the running checkpoint ends); resolves with SQLite's answer. */
  checkpoint(): Promise<CheckpointState | null>;
  stop(): Promise<void>;
}

export function startSqliteCheckpointer(file: string, opts: { intervalMs?: number } = {}): SqliteCheckpointer {
  const walFile = `${file}-wal`;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, (state: CheckpointState | null) => void>();
  let running: Promise<CheckpointState | null> | null = null;
  /** The log file as it was after the last checkpoint that copied all of it. */
  let clean: { size: number; mtimeMs: number } | null = null;
  let stopped = false;

  const spawn = (): Worker => {
    const w = new Worker(WORKER);
    w.unref();
    w.on('message', (m: { id: number; ok: boolean; state?: CheckpointState }) => {
      const resolve = pending.get(m.id);
      pending.delete(m.id);
      resolve?.(m.ok ? (m.state ?? null) : null);
    });
    const fail = () => {
      if (worker === w) worker = null; // started again on next need
      for (const resolve of pending.values()) resolve(null);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', fail);
    return w;
  };

  const runOnce = async (): Promise<CheckpointState | null> => {
    const before = await stat(walFile).catch(() => null);
    worker ??= spawn();
    const w = worker;
    const id = nextId++;
    const state = await new Promise<CheckpointState | null>((resolve) => {
      pending.set(id, resolve);
      w.ref(); // a checkpoint in flight keeps the process alive until it ends
      w.postMessage({ id, file });
    }).finally(() => {
      if (pending.size === 0) w.unref();
    });
    if (state && state.log >= 0 && state.checkpointed >= state.log && before) {
      clean = { size: before.size, mtimeMs: before.mtimeMs };
    }
    return state;
  };

  const checkpoint = (): Promise<CheckpointState | null> => {
    if (stopped) return Promise.resolve(null);
    const next = (running ?? Promise.resolve(null)).then(runOnce, runOnce).finally(() => {
      if (running === next) running = null;
    });
    running = next;
    return next;
  };

  const tick = async () => {
    if (running || stopped) return;
    const now = await stat(walFile).catch(() => null);
    if (!now || now.size === 0) return;
    if (clean && clean.size === now.size && clean.mtimeMs === now.mtimeMs) return;
    await checkpoint();
  };
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 1000);
  timer.unref();

  return {
    checkpoint,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => null);
      const w = worker;
      worker = null;
      await w?.terminate();
    },
  };
}
