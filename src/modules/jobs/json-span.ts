/**
 * A JSON validator that builds nothing: it checks a document byte by byte
 * (RFC 8259 grammar, as JSON.parse accepts it) and reports where each member
 * of the top-level object sits. The createJob body thread uses it instead of
 * JSON.parse for large bodies: a 100 MB Terraform state parsed into objects
 * costs a second and a gigabyte of heap only to be serialised again, when
 * the job will parse the input anyway. The input's own bytes are stored as
 * they came; the envelope's small members are JSON.parsed one by one.
 */

import { MAX_JSON_DEPTH } from '../../platform/http/json-depth.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** A top-level member: its key (decoded) and the byte span [start, end) of its value. */
export interface MemberSpan {
  key: string;
  start: number;
  end: number;
}

/** The document nests deeper than MAX_JSON_DEPTH (counting the top-level value). */
export class JsonTooDeep extends Error {
  constructor(readonly offset: number) {
    super(`JSON nested deeper than ${MAX_JSON_DEPTH} levels at byte ${offset}`);
    this.name = 'JsonTooDeep';
  }
}

export class InvalidJson extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at byte ${offset}`);
    this.name = 'InvalidJson';
  }
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= ZERO && b <= NINE;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const ESCAPES = new Set([QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]); // " \ / b f n r t

const decoder = new TextDecoder('utf-8');

/**
 * Validates `buf` as one JSON text. Returns the top-level members when the
 * value is an object (the last of repeated keys wins, as with JSON.parse),
 * null when it is another kind of value. Throws InvalidJson otherwise.
 */
export function scanJson(buf: Uint8Array): MemberSpan[] | null {
  const n = buf.length;
  let i = 0;
  const fail = (at = i): never => {
    throw new InvalidJson(at);
  };
  const ws = () => {
    while (i < n && isSpace(buf[i] as number)) i++;
  };
  const string = () => {
    // at the opening quote
    i++;
    for (;;) {
      if (i >= n) fail();
      const b = buf[i] as number;
      if (b === QUOTE) {
        i++;
        return;
      }
      if (b < 0x20) fail();
      if (b === BACKSLASH) {
        const e = buf[i + 1] as number;
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(buf[i + k] as number)) fail(i + k);
          i += 6;
        } else if (ESCAPES.has(e)) i += 2;
        else fail(i + 1);
      } else i++;
    }
  };
  const number = () => {
    if (buf[i] === MINUS) i++;
    if (buf[i] === ZERO) i++;
    else if (isDigit(buf[i] as number)) while (isDigit(buf[i] as number)) i++;
    else fail();
    if (buf[i] === DOT) {
      i++;
      if (!isDigit(buf[i] as number)) fail();
      while (isDigit(buf[i] as number)) i++;
    }
    if (buf[i] === 0x65 || buf[i] === 0x45) {
      i++;
      if (buf[i] === PLUS || buf[i] === MINUS) i++;
      if (!isDigit(buf[i] as number)) fail();
      while (isDigit(buf[i] as number)) i++;
    }
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) if (buf[i + k] !== word.charCodeAt(k)) fail(i + k);
    i += word.length;
  };
  /** A scalar, or an object/array walked with an explicit stack; `outer` levels already open around it. */
  const value = (outer: number) => {
    const stack: number[] = [];
    for (;;) {
      ws();
      const b = buf[i] as number;
      let opened = false;
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (outer + stack.length >= MAX_JSON_DEPTH) throw new JsonTooDeep(i);
        stack.push(b);
        i++;
        ws();
        if (buf[i] === (b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
          stack.pop();
          i++;
        } else opened = true;
      } else if (b === QUOTE) string();
      else if (b === MINUS || isDigit(b)) number();
      else if (b === 0x74) literal('true');
      else if (b === 0x66) literal('false');
      else if (b === 0x6e) literal('null');
      else fail();
      if (opened && stack[stack.length - 1] === OPEN_BRACE) {
        // first key of an object
        if (buf[i] !== QUOTE) fail();
        string();
        ws();
        if (buf[i] !== COLON) fail();
        i++;
        continue;
      }
      if (opened) continue; // first element of an array
      // after a value: close containers, or move to the next member/element
      for (;;) {
        if (stack.length === 0) return;
        ws();
        const top = stack[stack.length - 1] as number;
        const c = buf[i] as number;
        if (c === COMMA) {
          i++;
          if (top === OPEN_BRACE) {
            ws();
            if (buf[i] !== QUOTE) fail();
            string();
            ws();
            if (buf[i] !== COLON) fail();
            i++;
          }
          break;
        }
        if (c === (top === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
          stack.pop();
          i++;
          continue;
        }
        fail();
      }
    }
  };

  // A UTF-8 byte order mark is ignored, as TextDecoder does before JSON.parse.
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  ws();
  let members: MemberSpan[] | null = null;
  if (buf[i] === OPEN_BRACE) {
    members = [];
    i++;
    ws();
    if (buf[i] === CLOSE_BRACE) i++;
    else {
      for (;;) {
        ws();
        if (buf[i] !== QUOTE) fail();
        const keyStart = i;
        string();
        const key = JSON.parse(decoder.decode(buf.subarray(keyStart, i))) as string;
        ws();
        if (buf[i] !== COLON) fail();
        i++;
        ws();
        const start = i;
        value(1);
        members.push({ key, start, end: i });
        ws();
        if (buf[i] === COMMA) {
          i++;
          continue;
        }
        if (buf[i] === CLOSE_BRACE) {
          i++;
          break;
        }
        fail();
      }
    }
  } else value(0);
  ws();
  if (i !== n) fail();
  if (!members) return null;
  // The last of repeated keys wins.
  const last = new Map<string, MemberSpan>();
  for (const m of members) {
    last.delete(m.key);
    last.set(m.key, m);
  }
  return [...last.values()];
}
