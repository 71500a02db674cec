/**
 * Response serializers (fast-json-stringify), shared by every app this process builds. Compiling the
 * routes' response schemas is most of what building an app costs (over a second); the schemas are
 * module constants, so an app built again (the tests build hundreds) reuses the compiled functions.
 * A serializer depends only on its schema and on the shared schemas it may reference, so the cache is
 * keyed by both (by object identity).
 *
 * Each schema is first rewritten by `nullableForSerializer`: fast-json-stringify serializes an `anyOf` by
 * validating the value against each branch with Ajv, compiled on the route's first response (≈ 100 ms
 * for a job) and run on every value after. `X | null`, the only union the API's responses use for most
 * fields, needs no such choice.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<SerializerFactory>>;

const objectIds = new WeakMap<object, number>();
let lastId = 0;
const idOf = (o: object): number => {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = ++lastId;
    objectIds.set(o, id);
  }
  return id;
};

/** Each shared schema object's rewritten copy (nullableForSerializer), made once. */
const rewrittenShared = new WeakMap<object, unknown>();
const rewrittenOnce = (schema: object): unknown => {
  let copy = rewrittenShared.get(schema);
  if (copy === undefined) {
    copy = nullableForSerializer(schema);
    rewrittenShared.set(schema, copy);
  }
  return copy;
};

/** Per set of shared schemas (and options), the serializer of each response schema object. */
const caches = new Map<string, WeakMap<object, Serializer>>();

export function cachedSerializerFactory(): SerializerFactory {
  const build = SerializerSelector();
  return (externalSchemas, options) => {
    const shared = (externalSchemas ?? {}) as Record<string, object>;
    // Shared schemas (`$ref` targets such as Job) are rewritten too: most unions live in them.
    const rewritten = Object.fromEntries(Object.entries(shared).map(([id, schema]) => [id, rewrittenOnce(schema)]));
    const compile = build(rewritten as typeof externalSchemas, options);
    const key = `${JSON.stringify(options ?? {})}|${Object.keys(shared)
      .sort()
      .map((id) => `${id}#${idOf(shared[id] as object)}`)
      .join(',')}`;
    let cache = caches.get(key);
    if (!cache) {
      cache = new WeakMap();
      caches.set(key, cache);
    }
    const serializers = cache;
    return (route) => {
      const schema = route.schema;
      if (typeof schema !== 'object' || schema === null) return compile(route);
      let serialize = serializers.get(schema);
      if (!serialize) {
        serialize = compile({ ...route, schema: nullableForSerializer(schema) });
        serializers.set(schema, serialize);
      }
      return serialize;
    };
  };
}

type Schema = Record<string | symbol, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNull = (v: unknown) => isSchema(v) && v.type === 'null';
/** A schema fast-json-stringify serializes by its `type` alone (no combinator, no reference). */
const plainTyped = (v: Schema) =>
  typeof v.type === 'string' && !('anyOf' in v || 'oneOf' in v || 'allOf' in v || '$ref' in v || 'nullable' in v);

/**
 * A copy of a response schema in which `anyOf: [X, {type: 'null'}]` (TypeBox's `Union([X, Null()])`) is
 * `X` with `nullable: true` wherever X is a plain typed schema, `Unknown() | null` is any value, and a
 * union of string literals is a string; every other union (objects of different shapes) is kept. The
 * JSON written is the same; only the serializer's work differs. The original is left as it is (it is
 * also the OpenAPI document's).
 */
export function nullableForSerializer(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableForSerializer);
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  for (const key of Reflect.ownKeys(schema)) {
    const value = schema[key];
    // `properties`/`patternProperties`/`$defs` map names to schemas; `enum`/`const`/`required` are data.
    if (key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions') {
      out[key] = isSchema(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nullableForSerializer(v)]))
        : value;
    } else if (key === 'enum' || key === 'const' || key === 'required' || key === 'examples' || key === 'example') {
      out[key] = value;
    } else out[key] = typeof value === 'object' ? nullableForSerializer(value) : value;
  }
  const branches = out.anyOf;
  if (!Array.isArray(branches)) return out;
  // TypeBox's `~kind` of the union must not override the branch's.
  const { anyOf: _, '~kind': _kind, ...siblings } = out;
  const nullable = branches.some(isNull);
  const others = branches.filter((b) => !isNull(b));
  const other = others[0];
  if (nullable && others.length === 1 && isSchema(other)) {
    if (plainTyped(other)) return { ...other, ...siblings, nullable: true };
    // `Unknown() | null`: any value, null included.
    if (isAnything(other)) return siblings;
  }
  // A union of string literals (TypeBox's `Union([Literal('a'), …])`) is written as the string it is.
  if (others.length > 0 && others.every(isStringLiteral)) {
    return {
      ...siblings,
      type: 'string',
      enum: others.map((b) => (b as Schema).const),
      ...(nullable ? { nullable: true } : {}),
    };
  }
  return out;
}

/** A schema with no constraint at all (`{}`, TypeBox's Unknown or Any). */
const isAnything = (v: Schema) => Object.keys(v).every((k) => k === '~kind' || k === 'description');
const isStringLiteral = (v: unknown) =>
  isSchema(v) &&
  typeof v.const === 'string' &&
  (v.type === undefined || v.type === 'string') &&
  Object.keys(v).every((k) => k === 'const' || k === 'type' || k === '~kind' || k === 'description');
