/**
 * JSON merge patch (RFC 7396), for PATCH bodies sent as `application/merge-patch+json`: the media
 * type, the merge itself, and the schema of a patch derived from the schema of the document it
 * patches. A route that takes nested objects merges the patch into the resource's current
 * representation and validates the result as a whole, so an error names the field as the patch
 * wrote it.
 */

export const MERGE_PATCH = 'application/merge-patch+json';

/** Whether a Content-Type header says the body is a JSON merge patch (parameters and case ignored). */
export const isMergePatch = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() === MERGE_PATCH;

type JsonObject = Record<string, unknown>;
const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `target` with `patch` merged in (RFC 7396 §2): objects merge member by member, recursively; a
 * member set to null is removed (the reader then takes its default); anything else, arrays
 * included, replaces the member whole. Neither argument is modified.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    // defineProperty, not `out[key] =`: a member named `__proto__` stays a member.
    else Object.defineProperty(out, key, { value: applyMergePatch(out[key], value), ...MEMBER });
  }
  return out;
}

const MEMBER = { enumerable: true, writable: true, configurable: true } as const;

/** A patch of `T`: every member optional and nullable, objects patched member by member, arrays whole. */
export type MergePatch<T> = {
  [K in keyof T]?:
    | (NonNullable<T[K]> extends readonly unknown[]
        ? T[K]
        : NonNullable<T[K]> extends JsonObject
          ? MergePatch<NonNullable<T[K]>>
          : T[K])
    | null;
};

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a merge patch of documents `schema` describes: in every object, each member
 * is optional and may be null, and is itself a patch when it is an object; arrays and other values
 * keep their schema (a patch replaces them whole). `required`, `minProperties` and defaults go:
 * they hold for the merged document, which the route validates against `schema` itself. Handles
 * `properties`, `patternProperties`, `additionalProperties` and `anyOf`/`oneOf` branches, not `$ref`.
 */
export function mergePatchSchema(of: object): JsonSchema {
  const schema = of as JsonSchema;
  const out: JsonSchema = { ...schema };
  for (const union of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[union])) out[union] = (schema[union] as JsonSchema[]).map(mergePatchSchema);
  }
  const type = schema.type;
  if (type !== 'object' && !(Array.isArray(type) && type.includes('object'))) return out;
  delete out.required;
  delete out.minProperties;
  for (const members of ['properties', 'patternProperties'] as const) {
    const map = schema[members] as Record<string, JsonSchema> | undefined;
    if (map) out[members] = Object.fromEntries(Object.entries(map).map(([k, s]) => [k, patchMember(s)]));
  }
  if (isJsonObject(schema.additionalProperties)) out.additionalProperties = patchMember(schema.additionalProperties);
  return out;
}

/** A member of a patched object: its patch schema, or null (remove it). */
function patchMember(schema: JsonSchema): JsonSchema {
  // A default would be filled into the patch by the validator and overwrite the current value.
  const { default: _dropped, ...patch } = mergePatchSchema(schema);
  if (Object.keys(patch).every((k) => k === 'description' || k === 'examples')) return patch; // anything, null too
  if ((patch.anyOf as JsonSchema[] | undefined)?.some((s) => s.type === 'null')) return patch;
  // Adding 'null' to `type` keeps one error per field ("must be string,null") where an anyOf would give two.
  const types = typeof patch.type === 'string' ? [patch.type] : Array.isArray(patch.type) ? patch.type : null;
  if (types && !('const' in patch)) {
    if (!types.includes('null')) patch.type = [...types, 'null'];
    if (Array.isArray(patch.enum) && !patch.enum.includes(null)) patch.enum = [...patch.enum, null];
    return patch;
  }
  return { anyOf: [patch, { type: 'null' }] };
}
