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
 * `{type: "index", value: {value: 0, type: "number"}}`. Every path indexes
 * the original value, so all of them are marked first and each list is
 * filtered once (dropping `ingress[0]` must not make `ingress[1]` the old
 * `ingress[2]`).
 */
export function dropSensitivePaths(values: Rec, paths: unknown): Rec {
  if (!Array.isArray(paths) || paths.length === 0) return values;
  const root: PathTree = new Map();
  for (const path of paths) {
    if (!Array.isArray(path) || path.length === 0) continue;
    const steps = path.map(stepKey);
    if (steps.some((s) => s === null)) continue;
    let node = root;
    for (let i = 0; i < steps.length; i++) {
      const key = steps[i] as string | number;
      const existing = node.get(key);
      if (existing === true) break; // an enclosing value is already dropped
      if (i === steps.length - 1) {
        node.set(key, true);
        break;
      }
      if (existing === undefined) {
        const child: PathTree = new Map();
        node.set(key, child);
        node = child;
      } else node = existing;
    }
  }
  return (dropMarked(values, root) ?? {}) as Rec;
}

/** Sensitive paths as a tree: a step → `true` (drop the value there) or the steps below it. */
type PathTree = Map<string | number, PathTree | true>;

function stepKey(step: unknown): string | number | null {
  if (!isRecord(step)) return null;
  if (step.type === 'get_attr' && typeof step.value === 'string') return step.value;
  if (step.type === 'index') {
    const v = isRecord(step.value) ? step.value.value : step.value;
    if (typeof v === 'string' || typeof v === 'number') return v;
  }
  return null;
}

function dropMarked(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out: unknown[] = [];
    value.forEach((element, i) => {
      const mark = tree.get(i);
      if (mark === undefined) {
        out.push(element);
        return;
      }
      changed = true;
      if (mark === true) return;
      const next = dropMarked(element, mark);
      if (next !== undefined) out.push(next);
    });
    return changed ? out : value;
  }
  if (isRecord(value)) {
    let out: Rec | null = null;
    for (const [step, mark] of tree) {
      const key = String(step);
      if (!(key in value)) continue;
      const next = mark === true ? undefined : dropMarked(value[key], mark);
      if (next === value[key]) continue;
      out ??= { ...value };
      if (next === undefined) delete out[key];
      else out[key] = next;
    }
    return out ?? value;
  }
  return value;
}
