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
