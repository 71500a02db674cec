/**
 * Where a top-level member's value sits in a JSON object's UTF-8 bytes, found
 * by a scan that builds nothing. The createJob body thread uses it to store
 * the client's own `input` bytes instead of re-serialising a 100 MB parsed
 * object. Call it only on text JSON.parse accepted: it assumes valid JSON.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Index just past the string that starts (with its quote) at `i`. */
function skipString(buf: Uint8Array, i: number): number {
  let j = i + 1;
  for (;;) {
    const b = buf[j] as number;
    if (b === QUOTE) return j + 1;
    j += b === BACKSLASH ? 2 : 1;
  }
}

/** Index just past the value that starts at `i`. */
function skipValue(buf: Uint8Array, i: number): number {
  const first = buf[i] as number;
  if (first === QUOTE) return skipString(buf, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let j = i;
    while (j < buf.length) {
      const b = buf[j] as number;
      if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
      j++;
    }
    return j;
  }
  let depth = 0;
  let j = i;
  while (j < buf.length) {
    const b = buf[j] as number;
    if (b === QUOTE) {
      j = skipString(buf, j);
      continue;
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
    else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return j;
}

/**
 * [start, end) of the value of member `key` of the top-level object, the last
 * one when the key repeats (as JSON.parse keeps the last); null when absent or
 * when a key is written with escapes (the caller then falls back).
 */
export function topLevelMemberSpan(buf: Uint8Array, key: string): [number, number] | null {
  const wanted = new TextEncoder().encode(key);
  let i = 0;
  const ws = () => {
    while (i < buf.length && isSpace(buf[i] as number)) i++;
  };
  ws();
  if (buf[i] !== OPEN_BRACE) return null;
  i++;
  let found: [number, number] | null = null;
  for (;;) {
    ws();
    if (buf[i] === CLOSE_BRACE || i >= buf.length) return found;
    const keyStart = i + 1;
    const keyEnd = skipString(buf, i) - 1;
    let escaped = false;
    let same = keyEnd - keyStart === wanted.length;
    for (let k = keyStart; k < keyEnd; k++) {
      if (buf[k] === BACKSLASH) escaped = true;
      if (same && buf[k] !== wanted[k - keyStart]) same = false;
    }
    if (escaped) throw new EscapedKey();
    i = keyEnd + 1;
    ws();
    if (buf[i] !== COLON) return null;
    i++;
    ws();
    const start = i;
    i = skipValue(buf, i);
    if (same) found = [start, i];
    ws();
    if (buf[i] === COMMA) i++;
  }
}

/** A top-level key uses escapes: the span cannot be trusted to name the member. */
export class EscapedKey extends Error {}
