/** Worker-thread entry: parses large createJob bodies off the main thread (see body.ts). */
import { createHash } from 'node:crypto';
import { serveThread, Transfer } from '../../platform/jobs/threads.ts';
import { jsonKind, NOT_SCALAR, type ThreadedBody } from './body.ts';
import { InvalidJson, scanJson } from './json-span.ts';

const decoder = new TextDecoder('utf-8');

/** Bodies being received, by id: their chunks in order. */
const bodies = new Map<number, Uint8Array[]>();

/** The JSON type of the value starting with this byte. */
const kindOf = (b: number): string =>
  b === 0x7b
    ? 'object'
    : b === 0x5b
      ? 'array'
      : b === 0x22
        ? 'string'
        : b === 0x74 || b === 0x66
          ? 'boolean'
          : b === 0x6e
            ? 'null'
            : 'number';

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
    let members: ReturnType<typeof scanJson>;
    try {
      // Validated, not parsed: the input is stored as the client sent it, and parsed by its job.
      members = scanJson(bytes);
    } catch (e) {
      if (e instanceof InvalidJson) throw new SyntaxError(e.message);
      throw e;
    }
    if (!members) return { notObject: true };
    const fields: Record<string, unknown> = {};
    let input: { start: number; end: number } | null = null;
    for (const m of members) {
      if (m.key === 'input') {
        input = m;
        continue;
      }
      const first = bytes[m.start] as number;
      fields[m.key] =
        first === 0x7b || first === 0x5b ? NOT_SCALAR : JSON.parse(decoder.decode(bytes.subarray(m.start, m.end)));
    }
    const inputKind = input ? kindOf(bytes[input.start] as number) : jsonKind(undefined);
    if (!input || inputKind !== 'object') return { fields, inputKind, input: null, sha256: null };
    // Copied out of the body: the transferred buffer then holds the input only.
    const own = new Uint8Array(bytes.subarray(input.start, input.end));
    const sha256 = createHash('sha256').update(own).digest('hex');
    return new Transfer({ fields, inputKind, input: own, sha256 }, [own.buffer as ArrayBuffer]);
  },
});
