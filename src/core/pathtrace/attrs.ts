/**
 * Defensive readers for node attributes. Parsers promise the shapes in
 * network/attributes.ts, but Terraform plans carry "known after apply"
 * markers and partial snapshots omit fields; reading through these keeps the
 * model builder from trusting a shape it has not checked.
 */
import { isUnknown, type JsonObject, type JsonValue } from '../inventory/types.ts';

export function str(o: JsonObject | null | undefined, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function strs(o: JsonObject | null | undefined, key: string): string[] {
  const v = o?.[key];
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
}

export function num(o: JsonObject | null | undefined, key: string): number | null {
  const v = o?.[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function bool(o: JsonObject | null | undefined, key: string): boolean | null {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : null;
}

export function obj(v: JsonValue | undefined): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isUnknown(v) ? (v as JsonObject) : null;
}

export function objs(o: JsonObject | null | undefined, key: string): JsonObject[] {
  const v = o?.[key];
  if (!Array.isArray(v)) return [];
  const out: JsonObject[] = [];
  for (const item of v) {
    const x = obj(item);
    if (x) out.push(x);
  }
  return out;
}

/** True when the attribute is present but Terraform reports it as unknown until apply. */
export function unknownAt(o: JsonObject | null | undefined, key: string): boolean {
  return isUnknown(o?.[key]);
}
