/**
 * Response serialization: `X | null` unions become `nullable` and literal unions strings for
 * fast-json-stringify (no Ajv validator compiled on a route's first response, none run per value), unions
 * of different object shapes are kept, and the JSON written is the same as from the schema as written.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { nullableForSerializer } from '../../src/platform/http/serializers.ts';

const Item = Type.Object({ id: Type.String(), n: Type.Integer() }, { additionalProperties: false });
const Schema = Type.Object(
  {
    name: Type.Union([Type.String(), Type.Null()], { description: 'kept beside the type' }),
    count: Type.Union([Type.Integer(), Type.Null()]),
    item: Type.Union([Item, Type.Null()]),
    items: Type.Array(Type.Union([Item, Type.Null()])),
    either: Type.Union([Type.String(), Type.Integer()]),
    choice: Type.Union([Item, Type.Object({ other: Type.Boolean() }), Type.Null()]),
    status: Type.Union([Type.Literal('a'), Type.Literal('b')]),
    state: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Null()]),
    details: Type.Union([Type.Null(), Type.Unknown()]),
    tags: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

/** The serializer Fastify would build for the schema as given (no rewriting). */
const fastJson = (schema: object) =>
  SerializerSelector()(undefined, undefined)({ schema, method: 'GET', url: '/', httpStatus: '200' }) as (
    v: unknown,
  ) => string;

describe('nullableForSerializer', () => {
  it('turns X | null into a nullable X, literals into strings, and keeps unions of different shapes', () => {
    const before = JSON.stringify(Schema);
    const out = nullableForSerializer(Schema) as { properties: Record<string, Record<string, unknown>> };
    expect(JSON.stringify(Schema)).toBe(before); // the original (also the OpenAPI document's) is untouched
    const p = out.properties;
    expect(p.name).toMatchObject({ type: 'string', description: 'kept beside the type', nullable: true });
    expect(p.count).toMatchObject({ type: 'integer', nullable: true });
    expect(p.name?.['~kind']).toBe('String');
    expect(p.name?.anyOf).toBeUndefined();
    expect(p.item).toMatchObject({ type: 'object', nullable: true, required: ['id', 'n'] });
    expect(p.item?.anyOf).toBeUndefined();
    expect(p.items?.items).toMatchObject({ type: 'object', nullable: true });
    expect(p.either?.anyOf).toHaveLength(2);
    expect(p.choice?.anyOf).toHaveLength(3);
    expect(p.status).toMatchObject({ type: 'string', enum: ['a', 'b'] });
    expect(p.state).toMatchObject({ type: 'string', enum: ['on', 'off'], nullable: true });
    expect(p.details?.anyOf).toBeUndefined();
    // Only the union of two object shapes still has a null branch.
    expect(JSON.stringify(out).match(/"type":"null"/g)).toHaveLength(1);
  });

  it('writes the same JSON as the schema as written', () => {
    const original = fastJson(Schema);
    const rewritten = fastJson(nullableForSerializer(Schema) as object);
    const values = [
      {
        name: null,
        count: null,
        item: null,
        items: [null, { id: 'x', n: 1 }],
        either: 3,
        choice: null,
        status: 'a',
        state: null,
        details: null,
        tags: { a: null, b: 'c' },
      },
      {
        name: 'web "01"',
        count: 0,
        item: { id: 'é', n: 2 },
        items: [],
        either: 'x',
        choice: { other: true },
        status: 'b',
        state: 'off',
        details: { path: 'body.x', nested: [1, 'two', null] },
        tags: {},
      },
    ];
    for (const v of values) {
      expect(rewritten(v)).toBe(original(v));
      expect(JSON.parse(rewritten(v))).toEqual(v);
    }
  });
});
