/**
 * The createJob body can be 100 MB. JSON.parse of that on the main thread
 * would hold the event loop for a second or more, so large bodies go to a
 * worker thread, which validates them without building objects
 * (json-span.ts) and returns the envelope's small fields and the input's own
 * bytes (transferred, not copied) with their SHA-256. Small bodies are
 * parsed inline: a thread round trip costs more than the parse.
 */
import { hash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { errorCodes } from 'fastify';
import { badRequest } from '../../platform/errors.ts';
import {
  jsonNestsDeeperThan,
  tooDeepMessage,
  unstorableStringAt,
  unstorableStringMessage,
} from '../../platform/http/json-depth.ts';
import { INPUT_PART_CHARS, type StorableInput, textParts, utf8Parts } from '../../platform/jobs/inputs.ts';
import { startThread, type Thread, ThreadError } from '../../platform/jobs/threads.ts';

/** The `input` of a createJob body, already serialised: what is stored in job_inputs. */
export class JobInput implements StorableInput {
  private constructor(
    private readonly text: string | null,
    private readonly bytes: Uint8Array | null,
    /** Hex SHA-256 of the UTF-8 input: a re-submitted input is recognised by it. */
    readonly sha256: string,
  ) {}

  static fromText(text: string): JobInput {
    return new JobInput(text, null, hash('sha256', text, 'hex'));
  }

  /** `sha256` as computed where the bytes were (the body thread: hashing 100 MB here would hold the event loop). */
  static fromUtf8(bytes: Uint8Array, sha256: string): JobInput {
    return new JobInput(null, bytes, sha256);
  }

  /** Size in bytes (UTF-8). */
  get size(): number {
    return this.bytes ? this.bytes.length : Buffer.byteLength(this.text as string, 'utf8');
  }

  /** The serialised input in parts of a few MB, to store one statement at a time. */
  parts(size = INPUT_PART_CHARS): Iterable<string> {
    return this.bytes ? utf8Parts(this.bytes, size) : textParts(this.text as string, size);
  }

  /** Writes the input, whole, to a file (off the event loop). */
  writeTo(path: string): Promise<void> {
    return writeFile(path, this.bytes ?? (this.text as string));
  }

  /** Ajv sees an object (the body schema says `input` is one) and JSON.stringify a placeholder. */
  toJSON(): string {
    return `[job input: ${this.size} bytes]`;
  }
}

/** What the body thread returns: the envelope without `input`, and the input as bytes. */
export interface ThreadedBody {
  fields: Record<string, unknown>;
  /** 'object' when the input was a JSON object (then `input` holds its bytes), else its JSON type or 'missing'. */
  inputKind: string;
  input: Uint8Array | null;
  /** Hex SHA-256 of `input`. */
  sha256: string | null;
}

/** Envelope fields other than `input` that are not scalars are replaced by this (Ajv then names the field). */
export const NOT_SCALAR = null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const jsonKind = (v: unknown): string =>
  v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

/** A stand-in of the same JSON type, so validation reports "body.input must be object". */
const standIn = (kind: string): unknown =>
  ({ array: [], string: '', number: 0, boolean: false, null: null })[kind] ?? undefined;

function fromParsed(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw badRequest('Request body must be a JSON object');
  const out: Record<string, unknown> = { ...body };
  if (isObject(body.input)) out.input = JobInput.fromText(JSON.stringify(body.input));
  return out;
}

/** The envelope's fields hold no NUL or lone surrogate (400); `input` is not looked at: the ingest makes it storable. */
function assertStorableEnvelope(fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'input') continue;
    const found = unstorableStringAt(JSON.stringify(value) ?? '', value, `body.${key}`);
    if (found) throw badRequest(unstorableStringMessage(found), [{ path: found.path, message: found.problem }]);
  }
}

let thread: Thread | null = null;
let nextBodyId = 1;
const BODY_THREAD = new URL('./body-thread.ts', import.meta.url);

/**
 * Reads and parses a createJob body. Small bodies are collected and parsed
 * inline. Once a body reaches `threadMinBytes`, its chunks go to the body
 * thread as they arrive (each copied once, 64 KB at a time), so the main
 * thread never holds, concatenates or parses the whole 100 MB.
 * The body limit is enforced here (Fastify's own check applies to the
 * built-in parsers only).
 */
export async function readJobBody(
  payload: AsyncIterable<Buffer>,
  o: { declaredLength: number | null; limitBytes: number; threadMinBytes: number; onLarge?: () => void },
): Promise<Record<string, unknown> | undefined> {
  const tooLarge = () => new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  if (o.declaredLength !== null && o.declaredLength > o.limitBytes) throw tooLarge();
  const id = nextBodyId++;
  const held: Buffer[] = [];
  let size = 0;
  let streaming: Thread | null = null;
  const send = (chunk: Uint8Array) => {
    const copy = new Uint8Array(chunk); // its own ArrayBuffer, handed over without a second copy
    streaming?.post('chunk', { id, bytes: copy }, [copy.buffer]);
  };
  try {
    for await (const chunk of payload) {
      size += chunk.length;
      if (size > o.limitBytes) throw tooLarge();
      if (!streaming && size >= o.threadMinBytes) {
        o.onLarge?.();
        thread ??= startThread(BODY_THREAD);
        streaming = thread;
        for (const h of held.splice(0)) send(h);
      }
      if (streaming) send(chunk);
      else held.push(chunk);
    }
  } catch (e) {
    streaming?.post('discard', { id });
    throw e;
  }
  if (size === 0) return undefined;
  if (!streaming) {
    let body: unknown;
    const text = Buffer.concat(held, size).toString('utf8');
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest('Request body is not valid JSON');
    }
    if (jsonNestsDeeperThan(text)) throw badRequest(tooDeepMessage);
    // The envelope's fields, as for a large body: the input is a document from elsewhere, which the ingest
    // makes storable itself (inventory/ingest/session.ts).
    if (isObject(body)) assertStorableEnvelope(body);
    return fromParsed(body);
  }
  let parsed: ThreadedBody | { notObject: true };
  try {
    parsed = await streaming.call<ThreadedBody | { notObject: true }>('parse', { id });
  } catch (e) {
    if (e instanceof ThreadError && e.name === 'SyntaxError') throw badRequest('Request body is not valid JSON');
    if (e instanceof ThreadError && e.name === 'JsonTooDeep') throw badRequest(tooDeepMessage);
    if (!(e instanceof ThreadError) && thread === streaming) thread = null; // the thread died; start another next time
    throw e;
  }
  if ('notObject' in parsed) throw badRequest('Request body must be a JSON object');
  assertStorableEnvelope(parsed.fields);
  const out: Record<string, unknown> = { ...parsed.fields };
  if (parsed.inputKind === 'object' && parsed.input) out.input = JobInput.fromUtf8(parsed.input, parsed.sha256 ?? '');
  else if (parsed.inputKind !== 'missing') out.input = standIn(parsed.inputKind);
  return out;
}
