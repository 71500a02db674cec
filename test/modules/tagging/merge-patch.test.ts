/** The RFC 7396 helper behind `application/merge-patch+json` on the tagging policy PATCH routes. */
import { describe, expect, it } from 'vitest';
import { PolicyAttributesInput } from '../../../src/modules/tagging/schemas.ts';
import { applyMergePatch, isMergePatch, mergePatchSchema } from '../../../src/platform/http/merge-patch.ts';
import { compileJsonValidator } from '../../../src/platform/http/validation.ts';

describe('applyMergePatch', () => {
  // RFC 7396, Appendix A: every example, as written there.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched with %j is %j', (target, patch, result) => {
    const before = structuredClone(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(target).toEqual(before); // the target is not modified
  });

  it('keeps a member named __proto__ a member, not a prototype', () => {
    const merged = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['__proto__']);
    expect((merged as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('isMergePatch', () => {
  it('reads the media type, whatever its parameters and case', () => {
    expect(isMergePatch('application/merge-patch+json')).toBe(true);
    expect(isMergePatch('Application/Merge-Patch+JSON; charset=utf-8')).toBe(true);
    expect(isMergePatch('application/json')).toBe(false);
    expect(isMergePatch(undefined)).toBe(false);
  });
});

describe('mergePatchSchema', () => {
  const patch = compileJsonValidator(mergePatchSchema(PolicyAttributesInput), 'body');

  it('lets every member be left out or be null, at every depth of objects', () => {
    expect(patch({})).toBeNull();
    expect(
      patch({ name: null, enforcement: null, scope: { tag_filter: { env: null }, resource_types: null } }),
    ).toBeNull();
  });

  it('keeps the checks of each value, unknown members and whole lists', () => {
    const problems = patch({ enforcement: 'deny', scope: { nope: 1 }, tags: [{ key: 'a' }], exemptions: [null] });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'body.enforcement', message: 'must be one of "warn", "block", null' },
        { path: 'body.scope.nope', message: 'unknown field "nope"' },
        // A list is replaced whole: its items are checked as in the document, and cannot be null.
        { path: 'body.tags[0].valueType', message: 'is required' },
        { path: 'body.exemptions[0]', message: 'must be object' },
      ]),
    );
  });

  it('fills in no default: a default in a patch would overwrite the current value', () => {
    const withDefault = mergePatchSchema({
      type: 'object',
      properties: { on: { type: 'boolean', default: true } },
      required: ['on'],
    });
    expect(withDefault).toEqual({ type: 'object', properties: { on: { type: ['boolean', 'null'] } } });
  });
});
