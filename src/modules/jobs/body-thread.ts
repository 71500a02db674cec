/** Worker-thread entry: parses large createJob bodies off the main thread (see body.ts). */
import { createHash } from 'node:crypto';
import { serveThread, Transfer } from '../../platform/jobs/threads.ts';
import { jsonKind, NOT_SCALAR, type ThreadedBody } from './body.ts';
import { EscapedKey, topLevelMemberSpan } from './json-span.ts';

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Bodies being received, by id: their chunks in order. */
const bodies = new Map<number, Uint8Array[]>();

/** The client's own bytes of `input` (no re-serialisation); null when the scan cannot tell. */
function inputBytes(bytes: Uint8Array): Uint8Array | null {
  try {
    const span = topLevelMemberSpan(bytes, 'input');
    return span ? bytes.subarray(span[0], span[1]) : null;
  } catch (e) {
    if (e instanceof EscapedKey) return null;
    throw e;
  }
}

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
    const bytes = Buffer.concat(chunks);
    const body: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { notObject: true };
    const fields: Record<string, unknown> = {};
    let input: unknown;
    for (const [k, v] of Object.entries(body)) {
      if (k === 'input') input = v;
      else fields[k] = typeof v === 'object' && v !== null ? NOT_SCALAR : v;
    }
    const inputKind = jsonKind(input);
    if (inputKind !== 'object') return { fields, inputKind, input: null, sha256: null };
    // Copied out of the body: the transferred buffer then holds the input only.
    const own = inputBytes(bytes);
    const encoded = own ? new Uint8Array(own) : encoder.encode(JSON.stringify(input));
    const sha256 = createHash('sha256').update(encoded).digest('hex');
    return new Transfer({ fields, inputKind, input: encoded, sha256 }, [encoded.buffer as ArrayBuffer]);
  },
});
