/**
 * Terraform resource addresses: `module.net["eu"].aws_subnet.private[0]`.
 * Instance keys (`[0]`, `["a.b"]`) may contain dots and brackets inside
 * quotes, so addresses are split with a small scanner, not a regex.
 */

export type IndexKey = number | string;

/** `[0]` or `["key"]` as Terraform prints instance keys. */
export function formatIndexKey(key: IndexKey | null | undefined): string {
  if (key === null || key === undefined) return '';
  return typeof key === 'number' ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

/** Splits on the dots that are not inside `[...]` (whose strings may contain dots). */
export function splitAddress(address: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '.' && depth === 0) {
      parts.push(address.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(address.slice(start));
  return parts;
}

/** Removes every instance key: `module.a["x"].aws_s.b[0]` → `module.a.aws_s.b` (the configuration address). */
export function configAddress(address: string): string {
  if (!address.includes('[')) return address;
  return splitAddress(address).map(stripKey).join('.');
}

const stripKey = (part: string): string => {
  const bracket = part.indexOf('[');
  return bracket === -1 ? part : part.slice(0, bracket);
};

/** The instance key of the last segment: `aws_x.y[2]` → 2, `aws_x.y["a"]` → 'a', none → null. */
export function lastIndexKey(address: string): IndexKey | null {
  const parts = splitAddress(address);
  const last = parts.at(-1) ?? '';
  const bracket = last.indexOf('[');
  if (bracket === -1) return null;
  const inner = last.slice(bracket + 1, -1);
  if (inner.startsWith('"')) {
    try {
      return JSON.parse(inner) as string;
    } catch {
      return inner.slice(1, -1);
    }
  }
  const n = Number(inner);
  return Number.isInteger(n) ? n : inner;
}

/** The module instance part of a resource address: `module.a["x"].aws_s.b[0]` → `module.a["x"]` ('' at the root). */
export function moduleOfAddress(address: string): string {
  const parts = splitAddress(address);
  const out: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] !== 'module') break;
    out.push(parts[i] as string, parts[i + 1] as string);
  }
  return out.join('.');
}
