/**
 * Response serializers (fast-json-stringify), shared by every app this process builds. Compiling the
 * routes' response schemas is most of what building an app costs (over a second); the schemas are
 * module constants, so an app built again (the tests build hundreds) reuses the compiled functions.
 * A serializer depends only on its schema and on the shared schemas it may reference, so the cache is
 * keyed by both (by object identity).
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
        serialize = compile(route);
        serializers.set(schema, serialize);
      }
      return serialize;
    };
  };
}
