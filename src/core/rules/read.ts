/**
 * Reading node attributes for rules. Attributes are JSON: a value Terraform knows only after apply is
 * `{ "$unknown": true }` (UNKNOWN), and an attribute a source does not record is simply absent. Readers
 * tell the three apart, so a rule fails a node only on values it really knows.
 */
import { parsePolicy } from '../ingest/aws-shapes.ts';
import { isUnknown, type JsonObject } from '../inventory/types.ts';
import type { Verdict } from './types.ts';

/** Stands for "known only after apply" in what the readers return. */
export const UNK = Symbol('unknown');
export type Unk = typeof UNK;
/** A read: the value, `UNK` (unknown until apply) or `null` (not recorded / empty). */
export type Read<T> = T | Unk | null;

export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readBool(v: unknown): Read<boolean> {
  if (isUnknown(v)) return UNK;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

export function readStr(v: unknown): Read<string> {
  if (isUnknown(v)) return UNK;
  return typeof v === 'string' && v !== '' ? v : null;
}

export function readNum(v: unknown): Read<number> {
  if (isUnknown(v)) return UNK;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function readList(v: unknown): Read<unknown[]> {
  if (isUnknown(v)) return UNK;
  return Array.isArray(v) ? v : null;
}

/** A Terraform nested block (a list of one object) or a plain object. */
export function readBlock(v: unknown): Read<Rec> {
  if (isUnknown(v)) return UNK;
  if (Array.isArray(v)) {
    const first = v[0];
    if (isUnknown(first)) return UNK;
    return isRec(first) ? first : null;
  }
  return isRec(v) ? v : null;
}

/** True when the value holds an UNKNOWN anywhere (a few levels deep). */
export function hasUnknown(v: unknown, depth = 0): boolean {
  if (isUnknown(v)) return true;
  if (depth > 6) return false;
  if (Array.isArray(v)) return v.some((x) => hasUnknown(x, depth + 1));
  if (isRec(v)) return Object.values(v).some((x) => hasUnknown(x, depth + 1));
  return false;
}

/** IAM policy documents arrive as objects or as JSON text (Terraform), sometimes URL-encoded. */
export function readPolicy(v: unknown): Read<Rec> {
  return isUnknown(v) ? UNK : parsePolicy(v);
}

/** The statements of a policy document (a lone statement object counts as one). */
export function statements(policy: Rec): Rec[] {
  const st = policy.Statement;
  if (Array.isArray(st)) return st.filter(isRec);
  return isRec(st) ? [st] : [];
}

/** A string-or-list policy field as a list. */
export const asList = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export const pass = (): Verdict => ({ status: 'pass' });
export const fail = (message: string, evidence: JsonObject): Verdict => ({ status: 'fail', message, evidence });
export const skip = (reason: string): Verdict => ({ status: 'skip', reason });
export const notApplicable = (): Verdict => ({ status: 'not_applicable' });

/** `web (sg-0abc)`, or just the id when the name is the id. */
export function label(name: string, id: string | null): string {
  return id === null || id === name ? name : `${name} (${id})`;
}
