/**
 * The createJob body can be 100 MB. JSON.parse of that on the main thread
 * would hold the event loop for a second or more, so large bodies are parsed
 * in a worker thread, which returns the envelope's small fields and the input
 * re-serialised as UTF-8 bytes (transferred, not copied). Small bodies are
 * parsed inline: a thread round trip costs more than the parse.
 */
import { badRequest } from '../../platform/errors.ts';
import { INPUT_PART_CHARS, textParts, utf8Parts } from '../../platform/jobs/inputs.ts';
import { startThread, type Thread, ThreadError } from '../../platform/jobs/threads.ts';

/** The `input` of a createJob body, already serialised: what is stored in job_inputs. */
export class JobInput {
  private constructor(
    private readonly text: string | null,
    private readonly bytes: Uint8Array | null,
  ) {}

  static fromText(text: string): JobInput {
    return new JobInput(text, null);
  }

  static fromUtf8(bytes: Uint8Array): JobInput {
    return new JobInput(null, bytes);
  }

  /** Size in bytes (UTF-8). */
  get size(): number {
    return this.bytes ? this.bytes.length : Buffer.byteLength(this.text as string, 'utf8');
  }

  /** The serialised input in parts of a few MB, to store one statement at a time. */
  parts(size = INPUT_PART_CHARS): Iterable<string> {
    return this.bytes ? utf8Parts(this.bytes, size) : textParts(this.text as string, size);
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

let thread: Thread | null = null;
const BODY_THREAD = new URL('./body-thread.ts', import.meta.url);

/** Parses a createJob body: inline below `threadMinBytes`, in the shared body thread above. */
export async function parseJobBody(raw: Buffer, threadMinBytes: number): Promise<Record<string, unknown>> {
  if (raw.length < threadMinBytes) {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('Request body is not valid JSON');
    }
    return fromParsed(body);
  }
  // Hand the bytes over without a copy when the buffer owns its whole ArrayBuffer (large bodies do).
  const owned = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
  const bytes = owned ? new Uint8Array(raw.buffer) : new Uint8Array(raw);
  thread ??= startThread(BODY_THREAD);
  let parsed: ThreadedBody | { notObject: true };
  try {
    parsed = await thread.call<ThreadedBody | { notObject: true }>('parse', bytes, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    if (e instanceof ThreadError && e.name === 'SyntaxError') throw badRequest('Request body is not valid JSON');
    if (!(e instanceof ThreadError)) thread = null; // the thread died; start a new one next time
    throw e;
  }
  if ('notObject' in parsed) throw badRequest('Request body must be a JSON object');
  const out: Record<string, unknown> = { ...parsed.fields };
  if (parsed.inputKind === 'object' && parsed.input) out.input = JobInput.fromUtf8(parsed.input);
  else if (parsed.inputKind !== 'missing') out.input = standIn(parsed.inputKind);
  return out;
}
