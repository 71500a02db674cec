/**
 * Terraform value plumbing shared by the state and plan readers: marking
 * values unknown after apply, and dropping values Terraform marks sensitive.
 * Inputs are never mutated; changed objects are copied along the path.
 */
import { UNKNOWN } from '../inventory/types.ts';
import { isRecord, type Rec } from './values.ts';

/**
 * Applies a plan's `after_unknown` mirror to `after`: wherever it says
 * `true`, the value becomes UNKNOWN (Terraform leaves it null or absent).
 */
export function applyUnknown(value: unknown, mask: unknown): unknown {
  if (mask === true) return UNKNOWN;
  if (Array.isArray(mask)) {
    const base = Array.isArray(value) ? value : [];
    const length = Math.max(base.length, mask.length);
    const out: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) out[i] = i < mask.length ? applyUnknown(base[i], mask[i]) : base[i];
    return out;
  }
  if (isRecord(mask)) {
    const keys = Object.keys(mask);
    if (keys.length === 0) return value;
    const out: Rec = isRecord(value) ? { ...value } : {};
    for (const k of keys) {
      const next = applyUnknown(out[k], mask[k]);
      if (next !== undefined) out[k] = next;
    }
    return out;
  }
  return value;
}

/** Removes values a mirror mask (`sensitive_values`, `after_sensitive`) marks `true`. */
export function dropSensitive(value: unknown, mask: unknown): unknown {
  if (mask === true) return undefined;
  if (Array.isArray(mask) && Array.isArray(value)) {
    if (!mask.some((m) => m !== false && !(isRecord(m) && Object.keys(m).length === 0))) return value;
    return value.map((v, i) => dropSensitive(v, mask[i])).filter((v) => v !== undefined);
  }
  if (isRecord(mask) && isRecord(value)) {
    let out: Rec | null = null;
    for (const [k, m] of Object.entries(mask)) {
      if (m === false || !(k in value)) continue;
      const next = dropSensitive(value[k], m);
      if (next === value[k]) continue;
      out ??= { ...value };
      if (next === undefined) delete out[k];
      else out[k] = next;
    }
    return out ?? value;
  }
  return value;
}

/**
 * Removes the values at a state's `sensitive_attributes` paths. Each path is
 * a list of steps: `{type: "get_attr", value: "password"}` or
 * `{type: "index", value: {value: 0, type: "number"}}`.
 */
export function dropSensitivePaths(values: Rec, paths: unknown): Rec {
  if (!Array.isArray(paths) || paths.length === 0) return values;
  let out = values;
  for (const path of paths) {
    if (!Array.isArray(path) || path.length === 0) continue;
    const steps = path.map(stepKey);
    if (steps.some((s) => s === null)) continue;
    out = dropAt(out, steps as (string | number)[]) as Rec;
  }
  return out;
}

function stepKey(step: unknown): string | number | null {
  if (!isRecord(step)) return null;
  if (step.type === 'get_attr' && typeof step.value === 'string') return step.value;
  if (step.type === 'index') {
    const v = isRecord(step.value) ? step.value.value : step.value;
    if (typeof v === 'string' || typeof v === 'number') return v;
  }
  return null;
}

function dropAt(value: unknown, steps: (string | number)[]): unknown {
  const [head, ...rest] = steps;
  if (head === undefined) return undefined;
  if (Array.isArray(value) && typeof head === 'number' && head < value.length) {
    const next = rest.length === 0 ? undefined : dropAt(value[head], rest);
    const copy = value.slice();
    if (next === undefined) copy.splice(head, 1);
    else copy[head] = next;
    return copy;
  }
  if (isRecord(value) && String(head) in value) {
    const copy = { ...value };
    const key = String(head);
    const next = rest.length === 0 ? undefined : dropAt(value[key], rest);
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    return copy;
  }
  return value;
}
