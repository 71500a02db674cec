/**
 * "Did you mean `app-1`?" over thousands of allowed values.
 *
 * Most bad values differ from an allowed one by case or separators (`App_1`
 * for `app-1`), so those are answered from two hash maps. Typos are found
 * through a one-deletion neighbourhood index (every value with one character
 * removed), which finds every candidate within edit distance 1, and most
 * within 2, without scanning. Only when that finds nothing do we scan the
 * values of similar length, bounded to max(2, 30% of the length). Indexes
 * are built on first use and answers are cached, so a rule with 10,000
 * values costs nothing until a value fails, and little after.
 */
import { distance } from 'fastest-levenshtein';

const SEPARATORS = /[\s_.-]+/g;
/** Already folded: most CMDB values are lowercase kebab-case, and skip the regex passes. */
const CANONICAL = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Case- and separator-insensitive form that keeps word boundaries: `App_1` → `app-1`. */
export function foldValue(value: string): string {
  if (CANONICAL.test(value)) return value;
  return value
    .trim()
    .toLowerCase()
    .replace(SEPARATORS, '-')
    .replace(/^-+|-+$/g, '');
}

/** Like foldValue but drops separators entirely: `app1` and `app-1` meet. */
export function squashValue(value: string): string {
  return squashFolded(foldValue(value));
}

function squashFolded(folded: string): string {
  return folded.includes('-') ? folded.replaceAll('-', '') : folded;
}

export const MAX_SUGGESTIONS = 3;
const CACHE_LIMIT = 5_000;

export class SuggestionIndex {
  private readonly byFolded = new Map<string, number[]>();
  private readonly bySquashed = new Map<string, number[]>();
  private readonly squashed: string[];
  private byLength: Map<number, number[]> | null = null;
  /** Which characters each squashed value contains, as 64 bits in two words (see charBit). */
  private masks: Uint32Array | null = null;
  /** Hash of every value with one character removed → value indices (see deletionHashes). */
  private deletions: Map<number, number[]> | null = null;
  /** Hash of every whole squashed value → value indices. */
  private wholes: Map<number, number[]> | null = null;
  private readonly cache = new Map<string, string[]>();
  /** Per value, the query that last looked at it: a Set per query without the Set. */
  private readonly stamp: Uint32Array;
  private query = 0;

  constructor(private readonly values: readonly string[]) {
    this.squashed = new Array(values.length);
    this.stamp = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const folded = foldValue(value);
      push(this.byFolded, folded, i);
      const sq = squashFolded(folded);
      this.squashed[i] = sq;
      push(this.bySquashed, sq, i);
    }
  }

  get size(): number {
    return this.values.length;
  }

  /** The closest allowed values to `actual`, best first. */
  suggest(actual: string, limit = MAX_SUGGESTIONS): string[] {
    const cached = this.cache.get(actual);
    if (cached) return cached.slice(0, limit);
    const found = this.compute(actual);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(actual, found);
    return found.slice(0, limit);
  }

  private compute(actual: string): string[] {
    this.query = (this.query + 1) >>> 0 || 1;
    const picked: number[] = [];
    const take = (indices: readonly number[] | undefined) => {
      if (!indices) return;
      for (const i of this.rank(actual, indices)) {
        if (this.values[i] === actual || this.stamp[i] === this.query) continue;
        this.stamp[i] = this.query;
        picked.push(i);
      }
    };
    const folded = foldValue(actual);
    take(this.byFolded.get(folded));
    // A case or separator slip is the answer; typo neighbours (`app-2` for `App_1`) would only be noise.
    if (picked.length > 0) return this.toValues(picked);
    const query = squashFolded(folded);
    take(this.bySquashed.get(query));
    if (picked.length > 0 || query.length === 0) return this.toValues(picked);

    const maxDistance = Math.max(1, Math.min(Math.max(2, Math.floor(query.length * 0.3)), query.length - 1));
    const found: number[] = [];
    const distances: number[] = [];
    this.nearByDeletion(query, maxDistance, found, distances);
    if (found.length === 0) this.nearByScan(query, maxDistance, found, distances);
    const order = found.map((_, k) => k).sort((a, b) => distances[a]! - distances[b]! || found[a]! - found[b]!);
    for (let k = 0; k < order.length && picked.length < MAX_SUGGESTIONS; k++) picked.push(found[order[k]!]!);
    return this.toValues(picked);
  }

  private toValues(indices: number[]): string[] {
    return indices.slice(0, MAX_SUGGESTIONS).map((i) => this.values[i]!);
  }

  /** Orders equally-normalised candidates by how close their raw spelling is. */
  private rank(actual: string, indices: readonly number[]): number[] {
    if (indices.length <= 1) return [...indices];
    const lower = actual.toLowerCase();
    return [...indices]
      .map((i) => ({ i, d: distance(lower, this.values[i]!.toLowerCase()) }))
      .sort((a, b) => a.d - b.d || a.i - b.i)
      .map((x) => x.i);
  }

  private nearByDeletion(query: string, maxDistance: number, found: number[], distances: number[]): void {
    if (!this.deletions || !this.wholes) {
      const deletions = new Map<number, number[]>();
      const wholes = new Map<number, number[]>();
      for (let i = 0; i < this.squashed.length; i++) {
        const value = this.squashed[i]!;
        push(wholes, deletionHashes(value), i);
        for (let d = 0; d < value.length; d++) push(deletions, DELETED[d]!, i);
      }
      this.deletions = deletions;
      this.wholes = wholes;
    }
    const whole = deletionHashes(query);
    // A value with one character removed equal to the query (the query lost a character)…
    this.verify(this.deletions.get(whole), query, maxDistance, found, distances);
    for (let v = 0; v < query.length; v++) {
      const h = DELETED[v]!;
      // …the query with one character removed equal to a value (it gained one)…
      this.verify(this.wholes.get(h), query, maxDistance, found, distances);
      // …or both with one removed (a substitution or a transposition).
      this.verify(this.deletions.get(h), query, maxDistance, found, distances);
    }
  }

  /** Keeps candidates within the distance bound. Hashes can collide: the real distance decides. */
  private verify(
    list: number[] | undefined,
    query: string,
    maxDistance: number,
    found: number[],
    distances: number[],
  ): void {
    if (!list) return;
    for (const i of list) {
      if (this.stamp[i] === this.query) continue;
      this.stamp[i] = this.query;
      const d = distance(query, this.squashed[i]!);
      // d = 0 are the case/separator matches, handled (or deliberately excluded) before.
      if (d > 0 && d <= maxDistance) {
        found.push(i);
        distances.push(d);
      }
    }
  }

  private nearByScan(query: string, maxDistance: number, found: number[], distances: number[]): void {
    if (!this.byLength) {
      const byLength = new Map<number, number[]>();
      for (let i = 0; i < this.squashed.length; i++) push(byLength, this.squashed[i]!.length, i);
      this.byLength = byLength;
    }
    if (!this.masks) {
      const masks = new Uint32Array(this.squashed.length * 2);
      for (let i = 0; i < this.squashed.length; i++) charMask(this.squashed[i]!, masks, i * 2);
      this.masks = masks;
    }
    const masks = this.masks;
    const q = new Uint32Array(2);
    charMask(query, q, 0);
    for (let len = Math.max(0, query.length - maxDistance); len <= query.length + maxDistance; len++) {
      for (const i of this.byLength.get(len) ?? []) {
        if (this.stamp[i] === this.query) continue;
        // Each character present in one string and absent from the other costs at least one edit:
        // a cheap lower bound that skips most of 10,000 values for an unrelated query.
        const lo = masks[i * 2]!;
        const hi = masks[i * 2 + 1]!;
        const missing = popcount(q[0]! & ~lo) + popcount(q[1]! & ~hi);
        const extra = popcount(lo & ~q[0]!) + popcount(hi & ~q[1]!);
        if (missing > maxDistance || extra > maxDistance) continue;
        const d = distance(query, this.squashed[i]!);
        if (d > 0 && d <= maxDistance) {
          found.push(i);
          distances.push(d);
        }
      }
    }
  }
}

/** Digits → bits 0–9, letters → 10–35, anything else → 36–63. */
function charBit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  return 36 + (code % 28);
}

function charMask(text: string, into: Uint32Array, at: number): void {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < text.length; i++) {
    const bit = charBit(text.charCodeAt(i));
    if (bit < 32) lo |= 1 << bit;
    else hi |= 1 << (bit - 32);
  }
  into[at] = lo >>> 0;
  into[at + 1] = hi >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function push<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list) {
    if (list[list.length - 1] !== index) list.push(index);
  } else map.set(key, [index]);
}

// Polynomial hashes mod 2^32. With prefix hashes P, the string with character i
// removed hashes to P[n] + (P[i] - P[i+1]) * B^(n-1-i): O(1) per deletion, no substrings.
const BASE = 0x01000193;
let POWERS = new Uint32Array([1]);
let PREFIX = new Uint32Array(64);
/** Scratch filled by deletionHashes: the hash of the string without character i. */
let DELETED = new Uint32Array(64);

function ensureCapacity(n: number): void {
  if (POWERS.length <= n) {
    const powers = new Uint32Array(Math.max(n + 1, POWERS.length * 2));
    powers[0] = 1;
    for (let i = 1; i < powers.length; i++) powers[i] = Math.imul(powers[i - 1]!, BASE) >>> 0;
    POWERS = powers;
  }
  if (PREFIX.length <= n) PREFIX = new Uint32Array(Math.max(n + 1, PREFIX.length * 2));
  if (DELETED.length < n) DELETED = new Uint32Array(Math.max(n, DELETED.length * 2));
}

/** Returns the hash of `text` and leaves the hashes of its one-character deletions in DELETED[0..n). */
function deletionHashes(text: string): number {
  const n = text.length;
  ensureCapacity(n);
  PREFIX[0] = 0;
  for (let i = 0; i < n; i++) PREFIX[i + 1] = (Math.imul(PREFIX[i]!, BASE) + text.charCodeAt(i)) >>> 0;
  const whole = PREFIX[n]!;
  for (let i = 0; i < n; i++) {
    DELETED[i] = (whole + Math.imul((PREFIX[i]! - PREFIX[i + 1]!) >>> 0, POWERS[n - 1 - i]!)) >>> 0;
  }
  return whole;
}

/** A present key that looks like a missing one: `App-ID` for `app_id`. */
export function findSimilarKey(missing: string, present: Iterable<string>): string | null {
  const folded = squashValue(missing);
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  const maxDistance = Math.max(1, Math.floor(folded.length * 0.25));
  for (const key of present) {
    const candidate = squashValue(key);
    const d =
      candidate === folded
        ? 0
        : Math.abs(candidate.length - folded.length) > maxDistance
          ? 99
          : distance(candidate, folded);
    if (d <= maxDistance && d < bestDistance) {
      best = key;
      bestDistance = d;
    }
  }
  return best;
}
