/**
 * List filters over a closed set of values: `?status=revoked,expired`, where
 * a comma means "any of" (DESIGN.md, API conventions). The query schema takes
 * the raw string, and says in its description (hence in the OpenAPI document)
 * that it is a comma-separated list and which values it allows; the service
 * splits it with `enumList`, which rejects an unknown element with a 400
 * naming the allowed values. Free-form lists (ids, tag keys) use `csv` from
 * ./pagination.ts.
 */
import { Type } from 'typebox';
import { badRequest } from '../errors.ts';
import { csv } from './pagination.ts';
import { LIST_PATTERN } from './schemas.ts';

/**
 * The query-string schema of a free-form comma-separated list (ids, types, tag keys): an optional string
 * holding at least one item.
 */
export const CsvQuery = (description: string, opts: { examples?: string[]; maxLength?: number } = {}) =>
  Type.Optional(
    Type.String({
      maxLength: opts.maxLength ?? 2000,
      pattern: LIST_PATTERN,
      description,
      ...(opts.examples ? { examples: opts.examples } : {}),
    }),
  );

/**
 * The query-string schema of an "any of" filter over `values`: an optional
 * string whose description lists the allowed values. `what` names the values
 * in the plural ("statuses", "roles"); `extra` adds a sentence after it.
 */
export const EnumListQuery = <const T extends readonly string[]>(
  values: T,
  what: string,
  opts: { examples?: string[]; extra?: string } = {},
) =>
  Type.Optional(
    Type.String({
      maxLength: 2000,
      pattern: LIST_PATTERN,
      description:
        `Comma-separated ${what} (any of): ${values.map((v) => `\`${v}\``).join(', ')}. ` +
        `An unknown value is a 400.${opts.extra ? ` ${opts.extra}` : ''}`,
      examples: opts.examples ?? [values.slice(0, 2).join(',')],
    }),
  );

/**
 * `?status=revoked,expired` → ['revoked', 'expired'] (empty items dropped,
 * duplicates once); `undefined` when the parameter is absent or empty. Every
 * element must be one of `allowed`, otherwise a 400 at `querystring.<param>`
 * naming the allowed values. `what` names one value ("job status").
 */
export function enumList<const T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  param: string,
  what: string,
): T[] | undefined {
  const items = csv(raw);
  if (!items) return undefined;
  const unknown = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (unknown.length > 0) {
    const list = allowed.join(', ');
    throw badRequest(
      `Unknown ${what} "${unknown[0]}"; one of ${list}`,
      [...new Set(unknown)].map((u) => ({
        path: `querystring.${param}`,
        message: `"${u}" is not allowed; each comma-separated value must be one of ${list}`,
      })),
    );
  }
  return [...new Set(items)] as T[];
}
