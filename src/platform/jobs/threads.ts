/**
 * A small request/response channel to a worker thread, for CPU-heavy work
 * that must not hold the HTTP server's event loop: parsing a 100 MB JSON body,
 * running an ingest parser over 100k resources. The thread module calls
 * `serveThread({...handlers})`; the parent calls `thread.call('name', arg)`.
 */
import { isMainThread, parentPort, type TransferListItem, Worker, workerData } from 'node:worker_threads';

const BOOTSTRAP = new URL('./thread-bootstrap.mjs', import.meta.url);

/** An error thrown inside the thread, rebuilt in the parent with its name, message and own fields. */
export class ThreadError extends Error {
  readonly fields: Record<string, unknown>;
  constructor(name: string, message: string, fields: Record<string, unknown>) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

export interface Thread {
  call<R>(method: string, arg?: unknown, transfer?: TransferListItem[]): Promise<R>;
  /** Sends without waiting for an answer (messages arrive in order, before a later `call`). */
  post(method: string, arg?: unknown, transfer?: TransferListItem[]): void;
  /** Terminates the thread; pending calls reject. */
  close(): Promise<void>;
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string; fields: Record<string, unknown> };
}

export function startThread(entry: URL, opts: { data?: unknown } = {}): Thread {
  const worker = new Worker(BOOTSTRAP, { workerData: { entry: entry.href, data: opts.data ?? null } });
  // An idle thread must not keep the process alive; a thread with calls in flight must.
  worker.unref();
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let dead: Error | null = null;
  const failAll = (err: Error) => {
    dead = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    settle();
    if (reply.ok) p.resolve(reply.value);
    else {
      const e = reply.error ?? { name: 'Error', message: 'thread call failed', fields: {} };
      p.reject(new ThreadError(e.name, e.message, e.fields));
    }
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`worker thread exited (code ${code})`)));
  return {
    call<R>(method: string, arg?: unknown, transfer: TransferListItem[] = []) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.ref();
        worker.postMessage({ id, method, arg }, transfer as never);
      });
    },
    post(method: string, arg?: unknown, transfer: TransferListItem[] = []) {
      if (!dead) worker.postMessage({ id: 0, method, arg }, transfer);
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** What a handler may return to hand buffers over without copying. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly transfer: TransferListItem[],
  ) {}
}

type Handler = (arg: never) => unknown;

/** Inside a thread: answers the parent's calls with these handlers, one at a time. */
export function serveThread(handlers: Record<string, Handler>): void {
  if (isMainThread || !parentPort) throw new Error('serveThread() runs inside a worker thread');
  const port = parentPort;
  port.on('message', async (msg: { id: number; method: string; arg: unknown }) => {
    try {
      const handler = handlers[msg.method];
      if (!handler) throw new Error(`unknown thread method ${msg.method}`);
      const value = await handler(msg.arg as never);
      if (msg.id === 0) return; // posted: nobody waits for an answer
      if (value instanceof Transfer) port.postMessage({ id: msg.id, ok: true, value: value.value }, value.transfer);
      else port.postMessage({ id: msg.id, ok: true, value });
    } catch (e) {
      if (msg.id === 0) return;
      const err = e instanceof Error ? e : new Error(String(e));
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(err)) {
        if (v === null || (typeof v !== 'function' && typeof v !== 'object')) fields[k] = v;
      }
      port.postMessage({ id: msg.id, ok: false, error: { name: err.name, message: err.message, fields } });
    }
  });
}

/** Data the parent passed to `startThread(entry, { data })`. */
export const threadData = (): unknown => (workerData as { data?: unknown } | null)?.data ?? null;
