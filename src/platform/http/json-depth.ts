/**
 * A cap on how deeply request JSON may nest. Nothing real comes close (a
 * Terraform plan nests a few dozen levels), while a few kilobytes of `[[[[…`
 * would overflow the stack of every recursive walk after the parse
 * (validation, JSON.stringify, the ingest parsers) and end in a 500.
 */
export const MAX_JSON_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether JSON text nests objects/arrays deeper than `max` (string contents skipped). Malformed text is JSON.parse's to report. */
export function jsonNestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  // Each level needs an opening character: shorter texts cannot get there.
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

export const tooDeepMessage = `Request body nests deeper than ${MAX_JSON_DEPTH} levels`;

/**
 * `\u` escapes of a surrogate half or of U+0000: the only ways such characters get into parsed JSON
 * (UTF-8 cannot carry a lone surrogate, and JSON text cannot hold a raw control character).
 */
const SUSPECT_ESCAPE = /\\u(?:[dD][89a-fA-F]|0000)/;

export interface UnstorableString {
  /** Where, e.g. `body.tags.env`. */
  path: string;
  /** What is wrong with it, as a `details` message. */
  problem: string;
}

/**
 * The first string (or key) of `value` that cannot be stored and given back as it came, or null:
 * a lone UTF-16 surrogate (strict clients such as jq, Go and Rust refuse it when it is echoed back)
 * or a NUL character (PostgreSQL text cannot hold one; SQLite would keep it, the API must not depend
 * on the database). Walks the value only when the text has such an escape at all.
 */
export function unstorableStringAt(text: string, value: unknown, root = 'body'): UnstorableString | null {
  if (!SUSPECT_ESCAPE.test(text)) return null;
  const check = (s: string, path: string): UnstorableString | null =>
    !s.isWellFormed()
      ? { path, problem: 'holds a lone surrogate (\\ud800–\\udfff without its pair)' }
      : s.includes('\0')
        ? { path, problem: 'holds a NUL character (\\u0000)' }
        : null;
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      const found = check(v, path);
      if (found) return found;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const found = check(k, `${path}.${k}`);
        if (found) return { ...found, problem: `is a key that ${found.problem}` };
        stack.push([item, `${path}.${k}`]);
      }
    }
  }
  return null;
}

export const unstorableStringMessage = (found: UnstorableString) => `Invalid request: ${found.path} ${found.problem}`;
