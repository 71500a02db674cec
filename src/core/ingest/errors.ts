/**
 * Raised when an ingest input is malformed (not when it is merely unknown or
 * empty: those become `skipped_documents` or zero nodes). The message names
 * the document and the field, e.g.
 * `document "ec2-describe-instances.json": Reservations[3].Instances[0].InstanceId must be a string`.
 */
export class IngestError extends Error {
  override readonly name = 'IngestError';

  constructor(
    message: string,
    readonly document: string | null,
    readonly path: string | null,
  ) {
    super(message);
  }
}

/** Builds an IngestError whose message follows the `document "x": path problem` convention. */
export function ingestError(document: string | null, path: string | null, problem: string): IngestError {
  const prefix = document === null ? '' : `document "${document}": `;
  const field = path === null || path === '' ? '' : `${path} `;
  return new IngestError(`${prefix}${field}${problem}`, document, path);
}

/** Inputs may arrive as JSON text (a file's content posted as a string): parse it, or say where it is broken. */
export function parseJsonText(value: unknown, document: string | null): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    throw ingestError(document, null, `is not valid JSON (${(e as Error).message})`);
  }
}
