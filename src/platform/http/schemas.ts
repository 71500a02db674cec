/**
 * Schemas shared by every route: the response envelope, pagination, errors.
 * These TypeBox schemas validate requests, shape responses (fast serialisation)
 * and generate the OpenAPI document, so the three cannot drift apart.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '../errors.ts';

export const ErrorObject = Type.Object(
  {
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: ERROR_CODES, description: 'Machine-readable error code.' }),
    message: Type.String({ description: 'What went wrong, for a person.' }),
    details: Type.Union([Type.Null(), Type.Unknown()], {
      description: 'For validation errors, a list of `{path, message}` for each failing field.',
    }),
    retry_after: Type.Optional(
      Type.Integer({ description: 'Seconds to wait before retrying (429 and 503 only), as in `Retry-After`.' }),
    ),
    request_id: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ErrorEnvelope = Type.Object(
  { data: Type.Null(), meta: Type.Optional(Type.Null()), error: ErrorObject },
  { additionalProperties: false, $id: 'ErrorEnvelope', title: 'ErrorEnvelope' },
);
export type ErrorEnvelopeT = Static<typeof ErrorEnvelope>;

/** `{data: T, meta: null, error: null}`. */
export const Envelope = <T extends TSchema>(data: T) =>
  Type.Object({ data, meta: Type.Null(), error: Type.Null() }, { additionalProperties: false });

export const PageMeta = Type.Object(
  {
    total: Type.Integer({ minimum: 0 }),
    page: Type.Integer({ minimum: 1 }),
    per_page: Type.Integer({ minimum: 1 }),
    total_pages: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type PageMetaT = Static<typeof PageMeta>;

/** `{data: T[], meta: {total, page, per_page, total_pages}, error: null}`. */
export const PageEnvelope = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), meta: PageMeta, error: Type.Null() }, { additionalProperties: false });

export const PaginationQuery = {
  page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1.' }),
  ),
  per_page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Items per page (1–500, default 50).' }),
  ),
};

export const SortQuery = (allowed: readonly string[], fallback: string) =>
  Type.Optional(
    Type.String({
      maxLength: 200,
      pattern: LIST_PATTERN,
      description: `Comma-separated fields, \`-\` for descending. Allowed: ${allowed.join(', ')}. Default: ${fallback}.`,
      examples: [fallback],
    }),
  );

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC timestamp.' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

const errorResponse = (code: ErrorCode, description: string) => ({
  ...Type.Ref('ErrorEnvelope'),
  description: `${description} (\`${code}\`)`,
});

/** Error responses every authenticated route can give. */
export const commonErrors = {
  400: errorResponse('BAD_REQUEST', 'Invalid request body or parameters'),
  401: errorResponse('UNAUTHORIZED', 'Missing or invalid token'),
  403: errorResponse('FORBIDDEN', 'Insufficient permissions'),
  404: errorResponse('NOT_FOUND', 'Resource does not exist'),
  429: errorResponse('RATE_LIMITED', 'Too many requests'),
  500: errorResponse('INTERNAL_ERROR', 'Server error'),
  503: errorResponse(
    'SERVICE_UNAVAILABLE',
    'The request lost to a concurrent change in the database and nothing of it was written; retry it after `Retry-After`',
  ),
} as const;

/**
 * The common errors but those a route cannot give: a route outside `/tenants/{t}` is not rate-limited (no
 * 429) and, without an id in its path, finds nothing missing (no 404).
 */
export const commonErrorsExcept = <const S extends keyof typeof commonErrors>(...statuses: S[]) =>
  Object.fromEntries(
    Object.entries(commonErrors).filter(([status]) => !(statuses as number[]).includes(Number(status))),
  ) as Omit<typeof commonErrors, S>;

export const conflictError = { 409: errorResponse('CONFLICT', 'Conflicts with the current state') } as const;
export const tooLargeError = { 413: errorResponse('PAYLOAD_TOO_LARGE', 'Body over the size limit') } as const;
/** What any route that reads a body can answer before its handler runs (added to each by the conventions plugin). */
export const bodyErrors = {
  ...tooLargeError,
  415: errorResponse('UNSUPPORTED_MEDIA_TYPE', 'Body is not JSON (or the form the route accepts)'),
} as const;
export const unprocessableError = {
  422: errorResponse('UNPROCESSABLE', 'Well-formed but cannot be processed'),
} as const;

export const errorStatusFor = (code: ErrorCode): number => ERROR_STATUS[code];

/** A string enum (`{type: 'string', enum: [...]}`) whose static type is the union of its values. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** 204 No Content. */
export const NoContent = Type.Null({ description: 'No content' });

/** The query string of a route that takes no parameters: any parameter is unknown (a 400 naming it). */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * A `pattern` for names and descriptions: at least one visible character (a letter, digit, punctuation or
 * symbol). White space alone is blank, and so are invisible characters such as U+200B (zero-width space),
 * which `\\S` would let through.
 */
export const NOT_BLANK = '[\\p{L}\\p{N}\\p{P}\\p{S}]';

/** A `pattern` for comma-separated query lists: at least one item (`?types=,` is not "no filter" but a 400). */
export const LIST_PATTERN = '[^,\\s]';

/** Marks a body schema whose body may be left out altogether (the validator compiler lets `undefined` through). */
export const OPTIONAL_BODY = 'x-optional-body';

/** The body of an action that takes no fields (start, cancel): none at all, or `{}`; anything else is a 400. */
export const NoBody = Type.Object(
  {},
  { additionalProperties: false, [OPTIONAL_BODY]: true, description: 'No fields: send no body, or `{}`.' },
);
