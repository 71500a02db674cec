import { describe, expect, it } from 'vitest';
import { EscapedKey, topLevelMemberSpan } from '../../../src/modules/jobs/json-span.ts';

const span = (text: string, key = 'input') => {
  const bytes = new TextEncoder().encode(text);
  const s = topLevelMemberSpan(bytes, key);
  return s ? new TextDecoder().decode(bytes.subarray(s[0], s[1])) : null;
};

describe('topLevelMemberSpan', () => {
  it('finds the raw text of a top-level member, whatever its type and surroundings', () => {
    expect(span('{"name":"a","input":{"x":[1,2,{"y":"}"}]},"start":true}')).toBe('{"x":[1,2,{"y":"}"}]}');
    expect(span(' {\n  "input" : [ 1, "]" ] ,\n "name": "n" }\n')).toBe('[ 1, "]" ]');
    expect(span('{"input":"a \\" quoted } string"}')).toBe('"a \\" quoted } string"');
    expect(span('{"input":12.5e3}')).toBe('12.5e3');
    expect(span('{"input":null,"other":1}')).toBe('null');
    expect(span('{"a":{"input":1},"b":"\\"input\\":2","input":{"é":"ü"}}')).toBe('{"é":"ü"}');
  });

  it('is null when the member is absent, and takes the last of repeated keys as JSON.parse does', () => {
    expect(span('{"name":"x"}')).toBeNull();
    expect(span('{}')).toBeNull();
    expect(span('[1]')).toBeNull();
    expect(span('{"input":{"a":1},"input":{"b":2}}')).toBe('{"b":2}');
    expect(span('{"inputs":{"a":1}}')).toBeNull();
  });

  it('refuses keys written with escapes (the caller falls back to re-serialising)', () => {
    expect(() => span('{"\\u0069nput":{}}')).toThrow(EscapedKey);
  });
});
