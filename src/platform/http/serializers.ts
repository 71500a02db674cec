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

/** Per set of shared schemas (and options), the serializer of each response schema object. */
const caches = new Map<string, WeakMap<object, Serializer>>();

export function cachedSerializerFactory(): SerializerFactory {
  const build = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    const shared = (externalSchemas ?? {}) as Record<string, object>;
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
 * `X` with `nullable: true` wherever X is a plain typed schema; every other union is kept. The JSON
 * written is the same; only the serializer's work differs. The original is left as it is (it is also the
 * OpenAPI document's).
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
  if (Array.isArray(branches) && branches.length === 2 && branches.some(isNull)) {
    const other = branches.find((b) => !isNull(b));
    if (isSchema(other) && plainTyped(other)) {
      // TypeBox's `~kind` of the union must not override the branch's.
      const { anyOf: _, '~kind': _kind, ...siblings } = out;
      return { ...other, ...siblings, nullable: true };
    }
  }
  return out;
}
