/**
 * Pagination, sorting and list filters, shared by every list endpoint.
 * `page`/`per_page` ranges are enforced by the query schema (PaginationQuery);
 * this file computes offsets, the `meta` block and GitHub-style Link headers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.ts';
import type { PageMetaT } from './schemas.ts';

export interface PageRequest {
  page: number;
  perPage: number;
  offset: number;
}

export function pageRequest(q: { page?: number; per_page?: number }): PageRequest {
  const page = q.page ?? 1;
  const perPage = q.per_page ?? 50;
  return { page, perPage, offset: (page - 1) * perPage };
}

export function pageMeta(total: number, p: PageRequest): PageMetaT {
  return { total, page: p.page, per_page: p.perPage, total_pages: Math.ceil(total / p.perPage) };
}

/** RFC 8288 Link header with first/prev/next/last, as GitHub's API sends it. */
export function linkHeader(baseUrl: string, rawQuery: string, meta: PageMetaT): string | null {
  const rels: [string, number][] = [];
  const last = Math.max(1, meta.total_pages);
  if (meta.page > 1) rels.push(['first', 1], ['prev', Math.min(meta.page - 1, last)]);
  if (meta.page < last) rels.push(['next', meta.page + 1], ['last', last]);
  if (rels.length === 0) return null;
  return rels
    .map(([rel, page]) => {
      const params = new URLSearchParams(rawQuery);
      params.set('page', String(page));
      params.set('per_page', String(meta.per_page));
      return `<${baseUrl}?${params.toString()}>; rel="${rel}"`;
    })
    .join(', ');
}

/** Sets the Link header for a page and returns the envelope. */
export function sendPage<T>(req: FastifyRequest, reply: FastifyReply, items: T[], total: number, p: PageRequest) {
  const meta = pageMeta(total, p);
  const [path, query = ''] = req.url.split('?') as [string, string?];
  const link = linkHeader(`${req.protocol}://${req.host}${path}`, query, meta);
  if (link) reply.header('link', link);
  return { data: items, meta, error: null };
}

export interface SortField<F extends string = string> {
  field: F;
  desc: boolean;
}

/**
 * Parses `sort=-created_at,name` against an allow-list. Unknown fields are a
 * 400 naming the allowed ones, never silently ignored.
 */
export function parseSort<F extends string>(
  raw: string | undefined,
  allowed: readonly F[],
  fallback: string,
): SortField<F>[] {
  const spec = raw === undefined || raw.trim() === '' ? fallback : raw;
  const out: SortField<F>[] = [];
  for (const part of spec.split(',')) {
    const token = part.trim();
    if (token === '') continue;
    const desc = token.startsWith('-');
    const field = (desc || token.startsWith('+') ? token.slice(1) : token) as F;
    if (!allowed.includes(field)) {
      throw badRequest(`Cannot sort by "${field}"; allowed fields: ${allowed.join(', ')}`, [
        { path: 'querystring.sort', message: `unknown sort field "${field}"; allowed: ${allowed.join(', ')}` },
      ]);
    }
    // `name,-name` has no single meaning; `name,name` is a mistake worth saying.
    if (out.some((s) => s.field === field)) {
      throw badRequest(`Sort field "${field}" is given more than once`, [
        { path: 'querystring.sort', message: `"${field}" appears more than once` },
      ]);
    }
    out.push({ field, desc });
  }
  return out;
}

/**
 * A comma list of node ids (`?node_id=a,b`): a comma inside double quotes belongs to the id, as in
 * Terraform's `for_each` addresses (`aws_subnet.app["a,b"]`). Empty items are dropped.
 */
export function idList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\')
      i++; // an escaped character inside quotes
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      items.push(value.slice(start, i));
      start = i + 1;
    }
  }
  items.push(value.slice(start));
  const out = items.map((s) => s.trim()).filter((s) => s !== '');
  return out.length > 0 ? out : undefined;
}

/**
 * The values of `?tag.<key>=v1,v2` ("any of"). A value with a comma, or with spaces at its ends, is written
 * in double quotes (`"a,b"`; `\"` and `\\` inside them stand for `"` and `\`). An empty parameter is the
 * empty value (AWS allows tags with empty values); a list with no value (`,`) is undefined: a 400 for the
 * caller.
 */
export function tagValueList(value: string): string[] | undefined {
  if (value === '') return [''];
  const items: string[] = [];
  let i = 0;
  while (i <= value.length) {
    while (value[i] === ' ') i++;
    if (value[i] === '"') {
      let text = '';
      let j = i + 1;
      for (; j < value.length && value[j] !== '"'; j++) text += value[j] === '\\' ? (value[++j] ?? '') : value[j];
      items.push(text);
      i = value.indexOf(',', j);
    } else {
      const end = value.indexOf(',', i);
      const text = value.slice(i, end < 0 ? undefined : end).trim();
      if (text !== '') items.push(text);
      i = end;
    }
    if (i < 0) break;
    i++;
  }
  return items.length > 0 ? items : undefined;
}

/** `?types=a,b` → ['a','b']; comma means "any of". Empty items are dropped. */
export function csv(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}
