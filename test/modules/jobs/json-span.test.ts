import { describe, expect, it } from 'vitest';
import { InvalidJson, scanJson } from '../../../src/modules/jobs/json-span.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The members' raw texts, by key. */
const members = (text: string) => {
  const bytes = enc.encode(text);
  const found = scanJson(bytes);
  return found ? Object.fromEntries(found.map((m) => [m.key, dec.decode(bytes.subarray(m.start, m.end))])) : null;
};

const valid = (text: string): boolean => {
  try {
    scanJson(enc.encode(text));
    return true;
  } catch (e) {
    if (e instanceof InvalidJson) return false;
    throw e;
  }
};

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('scanJson', () => {
  it('finds the raw text of each top-level member, whatever its type and surroundings', () => {
    expect(members('{"name":"a","input":{"x":[1,2,{"y":"}"}]},"start":true}')).toEqual({
      name: '"a"',
      input: '{"x":[1,2,{"y":"}"}]}',
      start: 'true',
    });
    expect(members(' {\n  "input" : [ 1, "]" ] ,\n "name": "n" }\n')).toEqual({ input: '[ 1, "]" ]', name: '"n"' });
    expect(members('{"input":"a \\" quoted } string"}')).toEqual({ input: '"a \\" quoted } string"' });
    expect(members('{"input":-12.5e+3,"n":null}')).toEqual({ input: '-12.5e+3', n: 'null' });
    expect(members('{"a":{"input":1},"b":"\\"input\\":2","input":{"é":"ü"}}')).toMatchObject({ input: '{"é":"ü"}' });
    expect(members('{"\\u0069nput":{}}')).toEqual({ input: '{}' });
    expect(members('\uFEFF{"a":1}')).toEqual({ a: '1' });
  });

  it('is null for a valid non-object, and keeps the last of repeated keys as JSON.parse does', () => {
    expect(members('[1]')).toBeNull();
    expect(members('"x"')).toBeNull();
    expect(members('{}')).toEqual({});
    expect(members('{"input":{"a":1},"input":{"b":2}}')).toEqual({ input: '{"b":2}' });
  });

  it('accepts exactly what JSON.parse accepts', () => {
    const cases = [
      '{"a":1}',
      '{"a":1,}',
      '{"a" 1}',
      '{a:1}',
      '[1,2',
      '[1,,2]',
      '[,1]',
      '{"a":[]}',
      '{"a":{}}',
      '01',
      '-0',
      '-',
      '1.',
      '.5',
      '1e',
      '1e+',
      '1E-2',
      'tru',
      'true',
      'nul',
      'null ',
      ' false',
      '"\\x"',
      '"\\u12"',
      '"\\u12aG"',
      '"\\u12aF"',
      '"a\tb"',
      '"a\\tb"',
      '{"a":1}}',
      '[[[[]]]]',
      '[[[[]]]',
      '',
      '   ',
      '{"a":"\\/"}',
      '[1 2]',
      '{"a":1 "b":2}',
      '[true false]',
      '{"":0}',
      '[-]',
      '[1e5]',
      '[+1]',
      '"\u007f"',
      '[0x1]',
    ];
    for (const c of cases) expect([c, valid(c)]).toEqual([c, parses(c)]);
  });

  it('agrees with JSON.parse on random mutations of a realistic document', () => {
    const base = JSON.stringify({
      name: 'x',
      input: { version: 4, resources: [{ type: 'aws_instance', attrs: { id: 'i-1', n: -1.5e3, ok: true, no: null } }] },
      s: 'q"uo\\te\n',
    });
    const alphabet = '{}[]":,\\0123456789.-+eEtrufalsn \t\nxu';
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    for (let round = 0; round < 3000; round++) {
      const chars = [...base];
      for (let m = 0, edits = 1 + rand(3); m < edits; m++) {
        const at = rand(chars.length);
        const op = rand(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)] as string);
        else chars[at] = alphabet[rand(alphabet.length)] as string;
      }
      const text = chars.join('');
      expect([text, valid(text)]).toEqual([text, parses(text)]);
    }
  });
});
