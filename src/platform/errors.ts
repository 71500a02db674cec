/**
 * One error type for the whole API with a closed set of codes. Services and
 * stores throw `AppError`s (usually through the factories below); the HTTP
 * error handler is the only place that turns them into responses.
 */

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface FieldError {
  /** Where the problem is, e.g. `body.tags[0].key` or `query.per_page`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  /** Extra top-level fields of the error object (e.g. `retry_after`). */
  readonly extra: Record<string, unknown>;
  /** Response headers to set with this error (e.g. Retry-After, Allow). */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
    options?: ErrorOptions & { extra?: Record<string, unknown>; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
    this.extra = options?.extra ?? {};
    this.headers = options?.headers ?? {};
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

export const badRequest = (message: string, details: FieldError[] | null = null) =>
  new AppError('BAD_REQUEST', message, details);
export const unauthorized = (message = 'Invalid or expired token') => new AppError('UNAUTHORIZED', message);
export const forbidden = (message = 'Insufficient permissions') => new AppError('FORBIDDEN', message);
export const notFound = (what: string, id?: string) =>
  new AppError('NOT_FOUND', id === undefined ? `${what} not found` : `${what} ${id} not found`);
export const conflict = (message: string, details: unknown = null) => new AppError('CONFLICT', message, details);
export const unprocessable = (message: string, details: unknown = null) =>
  new AppError('UNPROCESSABLE', message, details);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', message, null, {
    extra: { retry_after: retryAfterSeconds },
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
