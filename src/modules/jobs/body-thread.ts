/** Worker-thread entry: parses large createJob bodies off the main thread (see body.ts). */
import { serveThread, Transfer } from '../../platform/jobs/threads.ts';
import { jsonKind, NOT_SCALAR, type ThreadedBody } from './body.ts';

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Bodies being received, by id: their chunks in order. */
const bodies = new Map<number, Uint8Array[]>();

serveThread({
  chunk({ id, bytes }: { id: number; bytes: Uint8Array }) {
    let chunks = bodies.get(id);
    if (!chunks) {
      chunks = [];
      bodies.set(id, chunks);
    }
    chunks.push(bytes);
  },
  discard({ id }: { id: number }) {
    bodies.delete(id);
  },
  parse({ id }: { id: number }): ThreadedBody | { notObject: true } | Transfer<ThreadedBody> {
    const chunks = bodies.get(id) ?? [];
    bodies.delete(id);
    const body: unknown = JSON.parse(decoder.decode(Buffer.concat(chunks)));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { notObject: true };
    const fields: Record<string, unknown> = {};
    let input: unknown;
    for (const [k, v] of Object.entries(body)) {
      if (k === 'input') input = v;
      else fields[k] = typeof v === 'object' && v !== null ? NOT_SCALAR : v;
    }
    const inputKind = jsonKind(input);
    if (inputKind !== 'object') return { fields, inputKind, input: null };
    const encoded = encoder.encode(JSON.stringify(input));
    return new Transfer({ fields, inputKind, input: encoded }, [encoded.buffer as ArrayBuffer]);
  },
});
