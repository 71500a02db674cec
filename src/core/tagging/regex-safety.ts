/**
 * Rejects tag-value patterns that are invalid or could backtrack
 * catastrophically. Policies arrive over the API from many tenants, and one
 * `(a+)+$` evaluated against a long tag value would stall a worker, so every
 * REGEX rule passes through here before it is stored or compiled.
 *
 * The analysis parses the pattern into a small tree and flags:
 * - a variable-length repetition nested inside any repetition (star height
 *   > 1: `(a+)+`, `(x+x+)+y`, `(a{1,3})+`, `(.*a){20}`, and bounded ones like
 *   `((a{1,3}|b){1,3}){1,3}`, which multiply). One shape is accepted: a body of
 *   characters and quantified characters whose iterations are delimited — the
 *   characters that start (or end) an iteration cannot be consumed by its
 *   quantified parts, so iterations split one way only (`(-[a-z0-9]+)*`,
 *   `([a-z]+-)*`, `(\d{1,3}\.){3}` are accepted; `(\w+\s?)*` is not);
 * - a repeated body that can match the empty string (`(a*)*`, `(a?){20}`);
 * - an alternation inside a repeated body whose alternatives can start with
 *   the same character or be empty (`(a|a)*`, `(a|ab)*`, `(([ab]|\w)x)+`);
 * - three or more quantifiers that can all match one character, with nothing
 *   between them that only some accept (`\d*\d*\d*x`): polynomial backtracking.
 * The rules were hardened by fuzzing (test/core/tagging/policy.test.ts runs
 * the same check). Evaluation also caps values at MAX_REGEX_INPUT (256)
 * characters, which bounds what two adjacent quantifiers can cost.
 * safe-regex2 was considered, but it rejects common safe patterns such as
 * `^(\d{1,3}\.){3}\d{1,3}$` and `^[a-z0-9]+(-[a-z0-9]+)*$`.
 */

export type RegexSafety = { ok: true } | { ok: false; reason: string };

/** Longer patterns are refused outright: tag values are at most a few hundred characters. */
export const MAX_PATTERN_LENGTH = 1000;

export function checkRegexSafety(pattern: string): RegexSafety {
  if (typeof pattern !== 'string') return { ok: false, reason: 'pattern must be a string' };
  if (pattern.length === 0) return { ok: false, reason: 'pattern is empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const compiled = compileTagRegex(pattern, true);
  if (!compiled.ok) return { ok: false, reason: compiled.reason };
  let tree: RegexNode;
  try {
    tree = new Parser(pattern).parse();
  } catch (err) {
    return { ok: false, reason: `could not analyse pattern: ${(err as Error).message}` };
  }
  const danger = findDanger(tree, pattern);
  return danger ? { ok: false, reason: danger } : { ok: true };
}

/**
 * Compiles a tag-value pattern so that the whole value must match. Tries the
 * `u` flag first (so `\p{L}` works) and falls back to legacy syntax, which is
 * what most people write. Exported for the policy compiler.
 */
export function compileTagRegex(
  pattern: string,
  caseSensitive: boolean,
): { ok: true; regex: RegExp } | { ok: false; reason: string } {
  const anchored = `^(?:${pattern})$`;
  const flags = caseSensitive ? '' : 'i';
  try {
    return { ok: true, regex: new RegExp(anchored, `${flags}u`) };
  } catch {
    try {
      return { ok: true, regex: new RegExp(anchored, flags) };
    } catch (err) {
      // Report the error against the pattern as written, not our anchored wrapper.
      let message = (err as Error).message;
      try {
        new RegExp(pattern, flags);
      } catch (raw) {
        message = (raw as Error).message;
      }
      return {
        ok: false,
        reason: `invalid regular expression: ${message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`,
      };
    }
  }
}

// ---------------------------------------------------------------------------
// Character sets over ASCII, plus two bits for characters above 127: Unicode
// whitespace, and everything else (so `\s` and `\S` stay disjoint). Letters are
// always case-folded: the analysis must hold for `caseSensitive: false`.

const UNICODE_SPACES = new Set([0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);

class CharSet {
  readonly bits = new Uint32Array(4);
  otherSpace = false;
  otherRest = false;

  static of(...codes: number[]): CharSet {
    const s = new CharSet();
    for (const c of codes) s.add(c);
    return s;
  }

  static range(lo: number, hi: number): CharSet {
    return new CharSet().addRange(lo, hi);
  }

  static any(): CharSet {
    const s = CharSet.range(0, 127);
    s.otherSpace = true;
    s.otherRest = true;
    return s;
  }

  add(code: number): this {
    if (code > 127) {
      if (UNICODE_SPACES.has(code) || (code >= 0x2000 && code <= 0x200a)) this.otherSpace = true;
      else this.otherRest = true;
      return this;
    }
    this.bits[code >> 5]! |= 1 << (code & 31);
    if (code >= 65 && code <= 90) this.bits[(code + 32) >> 5]! |= 1 << ((code + 32) & 31);
    else if (code >= 97 && code <= 122) this.bits[(code - 32) >> 5]! |= 1 << ((code - 32) & 31);
    return this;
  }

  addRange(lo: number, hi: number): this {
    if (hi > 127) {
      // A range reaching past ASCII: assume it may hold both kinds.
      this.otherSpace = true;
      this.otherRest = true;
    }
    for (let c = lo; c <= Math.min(hi, 127); c++) this.add(c);
    return this;
  }

  addSet(other: CharSet): this {
    for (let i = 0; i < 4; i++) this.bits[i]! |= other.bits[i]!;
    this.otherSpace ||= other.otherSpace;
    this.otherRest ||= other.otherRest;
    return this;
  }

  negate(): CharSet {
    const s = new CharSet();
    for (let i = 0; i < 4; i++) s.bits[i] = ~this.bits[i]! >>> 0;
    // The non-ASCII bits mean "may hold some": a negation may hold the rest. The one exact case
    // is whitespace-only (`\s`), whose negation `\S` holds no whitespace.
    s.otherSpace = !(this.otherSpace && !this.otherRest);
    s.otherRest = true;
    return s;
  }

  intersect(other: CharSet): CharSet {
    const s = new CharSet();
    for (let i = 0; i < 4; i++) s.bits[i] = this.bits[i]! & other.bits[i]!;
    s.otherSpace = this.otherSpace && other.otherSpace;
    s.otherRest = this.otherRest && other.otherRest;
    return s;
  }

  intersects(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((this.bits[i]! & other.bits[i]!) !== 0) return true;
    return (this.otherSpace && other.otherSpace) || (this.otherRest && other.otherRest);
  }

  isEmpty(): boolean {
    return !this.otherSpace && !this.otherRest && this.bits.every((b) => b === 0);
  }
}

const DIGITS = () => CharSet.range(48, 57);
const WORD = () => CharSet.range(48, 57).addRange(65, 90).addRange(97, 122).add(95);
const SPACE = () => {
  const s = CharSet.of(9, 10, 11, 12, 13, 32);
  s.otherSpace = true;
  return s;
};

// ---------------------------------------------------------------------------
// Parse tree

type RegexNode =
  | { t: 'char'; set: CharSet }
  | { t: 'empty' }
  | { t: 'seq'; items: RegexNode[] }
  | { t: 'alt'; alts: RegexNode[] }
  | { t: 'look'; body: RegexNode }
  | { t: 'rep'; body: RegexNode; min: number; max: number; start: number; end: number }
  | { t: 'backref' };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new Error(`unexpected '${this.src[this.pos]}' at ${this.pos}`);
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): RegexNode {
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const start = this.pos;
      const atom = this.atom();
      items.push(this.quantified(atom, start));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private quantified(atom: RegexNode, start: number): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return atom; // a literal '{' in legacy syntax
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    if (this.peek() === '?') this.pos++; // lazy: same backtracking behaviour on failure
    const node: RegexNode = { t: 'rep', body: atom, min, max, start, end: this.pos };
    return this.quantified(node, start);
  }

  private atom(): RegexNode {
    const c = this.src[this.pos++]!;
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.':
        return { t: 'char', set: CharSet.any() };
      case '[':
        return { t: 'char', set: this.charClass() };
      case '\\':
        return this.escape(false) as RegexNode;
      case '(':
        return this.group();
      default:
        return { t: 'char', set: CharSet.of(c.codePointAt(0)!) };
    }
  }

  private group(): RegexNode {
    let look = false;
    if (this.src.startsWith('?:', this.pos)) this.pos += 2;
    else if (this.src.startsWith('?=', this.pos) || this.src.startsWith('?!', this.pos)) {
      this.pos += 2;
      look = true;
    } else if (this.src.startsWith('?<=', this.pos) || this.src.startsWith('?<!', this.pos)) {
      this.pos += 3;
      look = true;
    } else if (this.src.startsWith('?<', this.pos)) {
      const close = this.src.indexOf('>', this.pos);
      this.pos = close + 1;
    } else if (this.peek() === '?') {
      // Modifier groups such as (?i:…)
      const colon = this.src.indexOf(':', this.pos);
      this.pos = colon + 1;
    }
    const body = this.alternation();
    if (this.peek() !== ')') throw new Error('unterminated group');
    this.pos++;
    return look ? { t: 'look', body } : body;
  }

  /** Returns a node outside classes, or a CharSet inside them. */
  private escape(inClass: boolean): RegexNode | CharSet {
    const c = this.src[this.pos++];
    if (c === undefined) throw new Error('trailing backslash');
    const set = (s: CharSet) => (inClass ? s : ({ t: 'char', set: s } as RegexNode));
    switch (c) {
      case 'd':
        return set(DIGITS());
      case 'D':
        return set(DIGITS().negate());
      case 'w':
        return set(WORD());
      case 'W':
        return set(WORD().negate());
      case 's':
        return set(SPACE());
      case 'S':
        return set(SPACE().negate());
      case 'b':
        return inClass ? CharSet.of(8) : { t: 'empty' };
      case 'B':
        return inClass ? CharSet.of(66) : { t: 'empty' };
      case 'n':
        return set(CharSet.of(10));
      case 'r':
        return set(CharSet.of(13));
      case 't':
        return set(CharSet.of(9));
      case 'v':
        return set(CharSet.of(11));
      case 'f':
        return set(CharSet.of(12));
      case 'p':
      case 'P': {
        if (this.peek() === '{') this.pos = this.src.indexOf('}', this.pos) + 1;
        return set(CharSet.any());
      }
      case 'x': {
        const hex = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.pos));
        if (!hex) return set(CharSet.of(120));
        this.pos += 2;
        return set(CharSet.of(Number.parseInt(hex[0], 16)));
      }
      case 'u': {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(this.src.slice(this.pos));
        const plain = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.pos));
        if (braced) {
          this.pos += braced[0].length;
          return set(CharSet.of(Number.parseInt(braced[1]!, 16)));
        }
        if (plain) {
          this.pos += 4;
          return set(CharSet.of(Number.parseInt(plain[0], 16)));
        }
        return set(CharSet.of(117));
      }
      case 'c': {
        const letter = this.peek();
        if (letter && /[a-zA-Z]/.test(letter)) {
          this.pos++;
          return set(CharSet.of(letter.charCodeAt(0) % 32));
        }
        return set(CharSet.of(92, 99));
      }
      case 'k':
        if (!inClass && this.peek() === '<') {
          this.pos = this.src.indexOf('>', this.pos) + 1;
          return { t: 'backref' };
        }
        return set(CharSet.of(107));
      default:
        if (/[1-9]/.test(c) && !inClass) {
          while (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) this.pos++;
          return { t: 'backref' };
        }
        if (c === '0') return set(CharSet.of(0));
        return set(CharSet.of(c.codePointAt(0)!));
    }
  }

  private charClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const set = new CharSet();
    while (this.pos < this.src.length && this.peek() !== ']') {
      const lo = this.classAtom();
      if (
        this.peek() === '-' &&
        this.src[this.pos + 1] !== ']' &&
        this.pos + 1 < this.src.length &&
        typeof lo === 'number'
      ) {
        this.pos++;
        const hi = this.classAtom();
        if (typeof hi === 'number') set.addRange(lo, hi);
        else set.add(lo).add(45).addSet(hi);
      } else if (typeof lo === 'number') set.add(lo);
      else set.addSet(lo);
    }
    if (this.peek() !== ']') throw new Error('unterminated character class');
    this.pos++;
    return negated ? set.negate() : set;
  }

  /** A single code point, or a set for class escapes like \d. */
  private classAtom(): number | CharSet {
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.codePointAt(0)!;
    const escaped = this.escape(true) as CharSet;
    // Single-character escapes come back as one-member sets; unwrap them for ranges.
    const members: number[] = [];
    for (let code = 0; code < 128 && members.length < 3; code++) {
      if (escaped.bits[code >> 5]! & (1 << (code & 31))) members.push(code);
    }
    const isLetterPair = members.length === 2 && members[1]! - members[0]! === 32;
    if (!escaped.otherSpace && !escaped.otherRest && (members.length === 1 || isLetterPair)) return members[0]!;
    return escaped;
  }
}

// ---------------------------------------------------------------------------
// Analysis

function nullable(n: RegexNode): boolean {
  switch (n.t) {
    case 'char':
      return false;
    case 'empty':
    case 'look':
    case 'backref':
      return true;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'rep':
      return n.min === 0 || nullable(n.body);
  }
}

function first(n: RegexNode, out = new CharSet()): CharSet {
  switch (n.t) {
    case 'char':
      return out.addSet(n.set);
    case 'backref':
      return out.addSet(CharSet.any());
    case 'empty':
    case 'look':
      return out;
    case 'seq':
      for (const item of n.items) {
        first(item, out);
        if (!nullable(item)) break;
      }
      return out;
    case 'alt':
      for (const alt of n.alts) first(alt, out);
      return out;
    case 'rep':
      return first(n.body, out);
  }
}

function last(n: RegexNode, out = new CharSet()): CharSet {
  switch (n.t) {
    case 'seq':
      for (let i = n.items.length - 1; i >= 0; i--) {
        last(n.items[i]!, out);
        if (!nullable(n.items[i]!)) break;
      }
      return out;
    case 'alt':
      for (const alt of n.alts) last(alt, out);
      return out;
    case 'rep':
      return last(n.body, out);
    default:
      return first(n, out);
  }
}

function allChars(n: RegexNode, out = new CharSet()): CharSet {
  switch (n.t) {
    case 'char':
      return out.addSet(n.set);
    case 'backref':
      return out.addSet(CharSet.any());
    case 'empty':
    case 'look':
      return out;
    case 'seq':
      for (const item of n.items) allChars(item, out);
      return out;
    case 'alt':
      for (const alt of n.alts) allChars(alt, out);
      return out;
    case 'rep':
      return allChars(n.body, out);
  }
}

/** Repetitions inside `n` (not `n` itself) that match a variable number of times, outside lookarounds. */
function innerRepetitions(n: RegexNode, acc: Extract<RegexNode, { t: 'rep' }>[] = []): typeof acc {
  switch (n.t) {
    case 'seq':
      for (const item of n.items) innerRepetitions(item, acc);
      break;
    case 'alt':
      for (const alt of n.alts) innerRepetitions(alt, acc);
      break;
    case 'rep':
      if (n.max > n.min) acc.push(n);
      innerRepetitions(n.body, acc);
      break;
    default:
      break;
  }
  return acc;
}

/** Whether `n` contains an unbounded repetition (outside lookarounds). */
function hasUnbounded(n: RegexNode): boolean {
  if (n.t === 'rep' && n.max === Number.POSITIVE_INFINITY) return true;
  return innerRepetitions(n).some((r) => r.max === Number.POSITIVE_INFINITY);
}

function spanOf(n: RegexNode, src: string): [number, number] {
  if (n.t === 'rep') return [n.start, n.end];
  const reps = innerRepetitions(n);
  if (n.t === 'seq' || n.t === 'alt' || reps.length > 0) {
    const starts = reps.map((r) => r.start);
    const ends = reps.map((r) => r.end);
    return starts.length ? [Math.min(...starts), Math.max(...ends)] : [0, src.length];
  }
  return [0, src.length];
}

/**
 * Items of a sequence that contain unbounded quantifiers and can all match one
 * character share out a run of it in O(n^(k-1)) ways, and a failing match
 * tries them all. Items between them that can also match that character do
 * not separate them (`.+[a-z]b+\w+` on "bbbb…!"); one that cannot does
 * (`[a-z]+-[a-z]+`). Three or more sharing a character are refused:
 * `\d*\d*\d*x` is O(n³), `.+[ab]*b+\w+x` O(n⁴). Two (`[a-z]+[a-z0-9]*`) are
 * O(n²) over a value capped at 256 characters, which is harmless.
 */
function polynomialChain(items: RegexNode[], src: string): string | null {
  // Groups do not separate quantifiers: look through sequences and optional groups.
  const flat: Flat[] = [];
  for (const item of items) flatten(item, false, flat);
  const entries = flat.map((f) => ({ ...f, chars: allChars(f.node), unbounded: hasUnbounded(f.node) }));
  if (entries.filter((e) => e.unbounded).length < 2) return null;
  // Chains are per character: check each one (ASCII, then the two non-ASCII classes).
  for (let c = 0; c < 130; c++) {
    let degree = 0;
    let start = -1;
    for (const e of entries) {
      if (charIn(e.chars, c)) {
        if (!e.unbounded) continue;
        if (degree === 0) start = spanOf(e.node, src)[0];
        degree += weight(e.node, c);
        if (degree >= 3) {
          const end = Math.max(spanOf(e.node, src)[1], start + 1);
          return `quantifiers in \`${src.slice(start, end)}\` can all match the same characters, so a failing match backtracks polynomially (adjacent quantifiers); separate them with a character only one of them accepts`;
        }
      } else if (!e.optional && !nullable(e.node)) {
        degree = 0;
      }
    }
  }
  return null;
}

type Flat = { node: RegexNode; optional: boolean };

/** Code points 0–127, then 128 for non-ASCII whitespace and 129 for the rest. */
function charIn(set: CharSet, c: number): boolean {
  if (c < 128) return (set.bits[c >> 5]! & (1 << (c & 31))) !== 0;
  return c === 128 ? set.otherSpace : set.otherRest;
}

function flatten(n: RegexNode, optional: boolean, out: Flat[]): void {
  if (n.t === 'seq') for (const item of n.items) flatten(item, optional, out);
  else if (n.t === 'rep' && n.max <= 1) flatten(n.body, optional || n.min === 0, out);
  else out.push({ node: n, optional });
}

/** An alternation counts as many quantifiers (matching `c`) as its longest alternative holds. */
function weight(n: RegexNode, c: number): number {
  if (n.t !== 'alt') return 1;
  let best = 1;
  for (const alt of n.alts) {
    const flat: Flat[] = [];
    flatten(alt, false, flat);
    let sum = 0;
    for (const f of flat) if (hasUnbounded(f.node) && charIn(allChars(f.node), c)) sum += weight(f.node, c);
    best = Math.max(best, sum);
  }
  return best;
}

function findDanger(n: RegexNode, src: string): string | null {
  switch (n.t) {
    case 'seq': {
      const chain = polynomialChain(n.items, src);
      if (chain) return chain;
      for (const item of n.items) {
        const d = findDanger(item, src);
        if (d) return d;
      }
      return null;
    }
    case 'alt':
      for (const alt of n.alts) {
        const d = findDanger(alt, src);
        if (d) return d;
      }
      return null;
    case 'look':
      return findDanger(n.body, src);
    case 'rep': {
      const text = src.slice(n.start, n.end);
      if (n.max > 1) {
        // Bounded repetitions multiply too: ((a{1,3}|b){1,3}){1,3} takes seconds on a short value.
        if (nullable(n.body) && !allChars(n.body).isEmpty()) {
          return `\`${text}\` repeats something that can match the empty string; this can backtrack catastrophically`;
        }
        // Any choice inside a repeated body multiplies across iterations: ([ab]|\w)x, ([a-z]|-?)b.
        const ambiguousAlt = findAlternation(n.body, (alt) => alternativesOverlap(alt));
        if (ambiguousAlt) {
          return `overlapping alternatives repeated in \`${text}\` can backtrack catastrophically; make the alternatives start differently and none of them empty`;
        }
        const inner = innerRepetitions(n.body);
        if (inner.length > 0 && !delimitedIterations(n.body, inner)) {
          return `nested quantifiers in \`${text}\` (star height > 1) can match the same text in many ways and backtrack catastrophically`;
        }
      }
      return findDanger(n.body, src);
    }
    default:
      return null;
  }
}

function findAlternation(n: RegexNode, test: (alt: Extract<RegexNode, { t: 'alt' }>) => boolean): boolean {
  switch (n.t) {
    case 'alt':
      return test(n) || n.alts.some((a) => findAlternation(a, test));
    case 'seq':
      return n.items.some((i) => findAlternation(i, test));
    case 'rep':
      return findAlternation(n.body, test);
    default:
      return false;
  }
}

/** Two alternatives that can start with the same character, or one that can be empty. */
function alternativesOverlap(alt: Extract<RegexNode, { t: 'alt' }>): boolean {
  if (alt.alts.some(nullable)) return true;
  const firsts = alt.alts.map((a) => first(a));
  for (let i = 0; i < firsts.length; i++) {
    for (let j = i + 1; j < firsts.length; j++) if (firsts[i]!.intersects(firsts[j]!)) return true;
  }
  return false;
}

/**
 * The one nested-quantifier shape accepted: a body made only of characters and
 * quantified characters (`-[a-z0-9]+`, `\d{1,3}\.`), where no two variable parts
 * next to each other share a character, and the characters that start (or end)
 * an iteration cannot be consumed by its quantified parts. Such iterations split
 * one way only.
 */
function delimitedIterations(body: RegexNode, inner: Extract<RegexNode, { t: 'rep' }>[]): boolean {
  const flat: Flat[] = [];
  flatten(body, false, flat);
  const simple = (n: RegexNode) => n.t === 'char' || n.t === 'empty' || (n.t === 'rep' && n.body.t === 'char');
  if (!flat.every((f) => simple(f.node))) return false;
  let previous: CharSet | null = null;
  for (const { node, optional } of flat) {
    if (node.t === 'rep' && node.max > node.min) {
      const chars = allChars(node);
      if (previous?.intersects(chars)) return false;
      previous = chars;
    } else if (node.t === 'char' && !optional) previous = null;
  }
  const repeated = new CharSet();
  for (const r of inner) allChars(r.body, repeated);
  return !first(body).intersects(repeated) || !last(body).intersects(repeated);
}
