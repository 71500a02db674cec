/**
 * A small HTTP client for CLI commands that talk to a running server
 * (`ingest`, later `trace` and `validate`): credentials from the environment,
 * the `{data, meta, error}` envelope unwrapped, API errors as ApiError with
 * the server's code and message.
 */

export type Credentials = { token: string } | { clientId: string; secretKey: string };

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** INFRACAST_TOKEN (an access token or an `ick_…` API key token), else INFRACAST_CLIENT_ID + INFRACAST_SECRET_KEY. */
export function credentialsFromEnv(env: Record<string, string | undefined>): Credentials | null {
  const token = env.INFRACAST_TOKEN?.trim();
  if (token) return { token };
  const clientId = env.INFRACAST_CLIENT_ID?.trim();
  const secretKey = env.INFRACAST_SECRET_KEY?.trim();
  if (clientId && secretKey) return { clientId, secretKey };
  return null;
}

/** An error answer from the API (or no answer: status 0, code NETWORK_ERROR). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly requestId: string | null = null,
    /** Seconds to wait before asking again (`Retry-After` of a 429 or 503), when the server says. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiResponse<T> {
  data: T;
  meta: unknown;
  status: number;
  headers: Headers;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** A value to send as JSON. */
  json?: unknown;
  /** A body that is already JSON text (large documents are not parsed and re-serialised). */
  rawJson?: string;
  signal?: AbortSignal;
}

export interface ApiClient {
  readonly server: string;
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  get<T>(path: string, opts?: RequestOptions): Promise<T>;
  post<T>(path: string, opts?: RequestOptions): Promise<T>;
  /** `/api/v1/tenants/{tenant}/…`, each segment URL-encoded. */
  tenantPath(tenant: string, ...segments: string[]): string;
}

export function createApiClient(o: {
  server?: string;
  credentials: Credentials | null;
  userAgent?: string;
  fetch?: typeof fetch;
}): ApiClient {
  const server = (o.server ?? DEFAULT_SERVER).replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const auth: Record<string, string> = !o.credentials
    ? {}
    : 'token' in o.credentials
      ? { authorization: `Bearer ${o.credentials.token}` }
      : { 'x-client-id': o.credentials.clientId, 'x-secret-key': o.credentials.secretKey };

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.rawJson ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json));
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(o.userAgent ? { 'user-agent': o.userAgent } : {}),
          ...auth,
        },
        body,
        signal: opts.signal,
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        0,
        'NETWORK_ERROR',
        `cannot reach ${server}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      );
    }
    const text = await res.text();
    type Envelope = { data?: unknown; meta?: unknown; error?: unknown };
    let envelope: Envelope | null = null;
    try {
      envelope = text === '' ? null : (JSON.parse(text) as Envelope);
    } catch {
      envelope = null;
    }
    if (!res.ok) {
      const err = (envelope?.error ?? null) as {
        code?: string;
        message?: string;
        details?: unknown;
        request_id?: string;
      } | null;
      throw new ApiError(
        res.status,
        err?.code ?? `HTTP_${res.status}`,
        err?.message ?? `${method} ${path} answered ${res.status} ${res.statusText}`,
        err?.details ?? null,
        err?.request_id ?? res.headers.get('x-request-id'),
        retryAfterSeconds(res.headers.get('retry-after')),
      );
    }
    return {
      data: (envelope?.data ?? null) as T,
      meta: envelope?.meta ?? null,
      status: res.status,
      headers: res.headers,
    };
  }

  return {
    server,
    request,
    get: async (path, opts) => (await request<never>('GET', path, opts)).data,
    post: async (path, opts) => (await request<never>('POST', path, opts)).data,
    tenantPath: (tenant, ...segments) =>
      `/api/v1/tenants/${encodeURIComponent(tenant)}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`,
  };
}

/** `Retry-After` in seconds (delta-seconds, or an HTTP date); null when absent or unreadable. */
function retryAfterSeconds(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}
