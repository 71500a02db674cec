/**
 * Sets of ports as sorted, disjoint, inclusive intervals in a flat array:
 * [from0, to0, from1, to1, …]. Small (a handful of intervals at most), so
 * plain arrays beat anything cleverer. ICMP type/code pairs live in the same
 * 0–65535 space as `type * 256 + code`.
 */
export type PortSet = number[];

export const PORT_MAX = 65535;
export const ALL_PORTS: PortSet = [0, PORT_MAX];
export const EMPTY: PortSet = [];

export function isEmpty(set: PortSet): boolean {
  return set.length === 0;
}

export function rangeSet(from: number, to: number): PortSet {
  return from <= to ? [from, to] : [];
}

export function intersectRange(set: PortSet, from: number, to: number): PortSet {
  // Fast path for the common single-interval case.
  if (set.length === 2) {
    const lo = Math.max(set[0]!, from);
    const hi = Math.min(set[1]!, to);
    return lo <= hi ? [lo, hi] : EMPTY;
  }
  const out: number[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = Math.max(set[i]!, from);
    const hi = Math.min(set[i + 1]!, to);
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

export function overlapsRange(set: PortSet, from: number, to: number): boolean {
  for (let i = 0; i < set.length; i += 2) {
    if (set[i]! <= to && from <= set[i + 1]!) return true;
  }
  return false;
}

export function subtractRange(set: PortSet, from: number, to: number): PortSet {
  const out: number[] = [];
  for (let i = 0; i < set.length; i += 2) {
    const lo = set[i]!;
    const hi = set[i + 1]!;
    if (hi < from || lo > to) {
      out.push(lo, hi);
      continue;
    }
    if (lo < from) out.push(lo, from - 1);
    if (hi > to) out.push(to + 1, hi);
  }
  return out;
}

export function union(a: PortSet, b: PortSet): PortSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const pairs: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i]!, a[i + 1]!]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i]!, b[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

export function unionRange(set: PortSet, from: number, to: number): PortSet {
  return union(set, [from, to]);
}

export function equals(a: PortSet, b: PortSet): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toRanges(set: PortSet): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let i = 0; i < set.length; i += 2) out.push({ from: set[i]!, to: set[i + 1]! });
  return out;
}

export function formatPorts(set: PortSet): string {
  const parts: string[] = [];
  for (let i = 0; i < set.length; i += 2) {
    parts.push(set[i] === set[i + 1] ? `${set[i]}` : `${set[i]}–${set[i + 1]}`);
  }
  return parts.join(', ');
}
