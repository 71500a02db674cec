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

/** Case- and separator-insensitive form that keeps word boundaries: `App_1` → `app-1`. */
export function foldValue(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(SEPARATORS, '-')
    .replace(/^-+|-+$/g, '');
}

/** Like foldValue but drops separators entirely: `app1` and `app-1` meet. */
export function squashValue(value: string): string {
  return value.trim().toLowerCase().replace(SEPARATORS, '');
}

export const MAX_SUGGESTIONS = 3;
const CACHE_LIMIT = 5_000;

export class SuggestionIndex {
  private readonly byFolded = new Map<string, number[]>();
  private readonly bySquashed = new Map<string, number[]>();
  private readonly squashed: string[];
  private byLength: Map<number, number[]> | null = null;
  private deletions: Map<string, number[]> | null = null;
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly values: readonly string[]) {
    this.squashed = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      push(this.byFolded, foldValue(value), i);
      const sq = squashValue(value);
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
    const picked: number[] = [];
    const seen = new Set<number>();
    const take = (indices: readonly number[] | undefined) => {
      if (!indices) return;
      for (const i of this.rank(actual, indices)) {
        if (seen.has(i) || this.values[i] === actual) continue;
        seen.add(i);
        picked.push(i);
      }
    };
    take(this.byFolded.get(foldValue(actual)));
    const query = squashValue(actual);
    take(this.bySquashed.get(query));
    // A case or separator slip is the answer; typo neighbours (`app-2` for `App_1`) would only be noise.
    if (picked.length > 0 || query.length === 0) return this.toValues(picked);

    const maxDistance = Math.max(1, Math.min(Math.max(2, Math.floor(query.length * 0.3)), query.length - 1));
    const near = this.nearByDeletion(query, maxDistance, seen);
    if (near.length === 0) near.push(...this.nearByScan(query, maxDistance, seen));
    near.sort((a, b) => a.d - b.d || a.i - b.i);
    for (const { i } of near) {
      if (picked.length >= MAX_SUGGESTIONS) break;
      picked.push(i);
    }
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

  private nearByDeletion(query: string, maxDistance: number, seen: Set<number>): { i: number; d: number }[] {
    if (!this.deletions) {
      const deletions = new Map<string, number[]>();
      for (let i = 0; i < this.squashed.length; i++) {
        for (const variant of oneDeletions(this.squashed[i]!)) push(deletions, variant, i);
      }
      this.deletions = deletions;
    }
    const out: { i: number; d: number }[] = [];
    const consider = (i: number) => {
      if (seen.has(i)) return;
      seen.add(i);
      const d = distance(query, this.squashed[i]!);
      // d = 0 are the case/separator matches, handled (or deliberately excluded) before.
      if (d > 0 && d <= maxDistance) out.push({ i, d });
    };
    // A value with one character removed equal to the query (query is an insertion-typo)…
    for (const i of this.deletions.get(query) ?? []) consider(i);
    for (const variant of oneDeletions(query)) {
      // …the query with one character removed equal to a value (a deletion-typo)…
      for (const i of this.bySquashed.get(variant) ?? []) consider(i);
      // …or both with one removed (a substitution or a transposition).
      for (const i of this.deletions.get(variant) ?? []) consider(i);
    }
    return out;
  }

  private nearByScan(query: string, maxDistance: number, seen: Set<number>): { i: number; d: number }[] {
    if (!this.byLength) {
      const byLength = new Map<number, number[]>();
      for (let i = 0; i < this.squashed.length; i++) push(byLength, this.squashed[i]!.length, i);
      this.byLength = byLength;
    }
    const out: { i: number; d: number }[] = [];
    for (let len = Math.max(0, query.length - maxDistance); len <= query.length + maxDistance; len++) {
      for (const i of this.byLength.get(len) ?? []) {
        if (seen.has(i)) continue;
        const d = distance(query, this.squashed[i]!);
        if (d > 0 && d <= maxDistance) out.push({ i, d });
      }
    }
    return out;
  }
}

function push<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list) {
    if (list[list.length - 1] !== index) list.push(index);
  } else map.set(key, [index]);
}

function oneDeletions(value: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < value.length; i++) out.add(value.slice(0, i) + value.slice(i + 1));
  return out;
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
