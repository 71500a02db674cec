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

/** A `\u` escape of a surrogate half: the only way a lone surrogate gets into parsed JSON (UTF-8 cannot carry one). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The path of the first string (or key) of `value` that holds a lone surrogate, or null. Strict clients
 * (jq, Go, Rust) refuse such text when we echo it back, so it is refused on the way in. Walks the value
 * only when the text has a surrogate escape at all.
 */
export function loneSurrogateAt(text: string, value: unknown, root = 'body'): string | null {
  if (!SURROGATE_ESCAPE.test(text)) return null;
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return path;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (!k.isWellFormed()) return path;
        stack.push([item, `${path}.${k}`]);
      }
    }
  }
  return null;
}

export const loneSurrogateMessage = (path: string) =>
  `Invalid request: ${path} holds a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)`;
