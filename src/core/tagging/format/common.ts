/** Wording shared by the output formats, so a violation reads the same everywhere. */
import type { TagViolation, ValidationResult } from '../types.ts';

export interface FormatOptions {
  /** Tool version shown in SARIF and JUnit. */
  toolVersion?: string;
  /** File to point at when a violation has none (e.g. the plan's path) — SARIF and GitHub annotations. */
  defaultFile?: string;
  /** Markdown: violations shown in the main table before the rest collapse into <details>. Default 20. */
  maxTableRows?: number;
}

/** `module.app.aws_instance.web[0]` or `aws_instance.web (volume_tags)`. */
export function targetName(v: TagViolation): string {
  return v.sub_path ? `${v.address} (${v.sub_path})` : v.address;
}

/** `tag app_id is missing` / `tag app_id = "App_1" is not allowed`. */
export function problemText(v: TagViolation): string {
  if (v.kind === 'missing') return `tag ${v.key} is missing`;
  return `tag ${v.key} = ${JSON.stringify(v.actual)} is not allowed`;
}

export function expectedText(v: TagViolation): string {
  return `${v.kind === 'missing' ? 'required: ' : 'expected '}${v.rule.text.replaceAll('`', '')}`;
}

export function suggestionText(v: TagViolation): string | null {
  if (v.suggestions.length > 0) return `did you mean ${v.suggestions.map((s) => JSON.stringify(s)).join(' or ')}?`;
  if (v.similar_key) return `found key ${JSON.stringify(v.similar_key)}: did you mean ${JSON.stringify(v.key)}?`;
  return null;
}

export function policiesText(v: TagViolation): string {
  return v.policies.map((p) => `${p.policy_name} (${p.policy_id}, ${p.enforcement})`).join('; ');
}

/** One line for places without layout: problem, message, suggestion. */
export function oneLine(v: TagViolation): string {
  const parts = [`${targetName(v)}: ${problemText(v)} (${expectedText(v)}).`, v.message];
  const suggestion = suggestionText(v);
  if (suggestion) parts.push(suggestion.charAt(0).toUpperCase() + suggestion.slice(1));
  return parts.join(' ');
}

export function headline(result: ValidationResult): string {
  const s = result.summary;
  const extras: string[] = [];
  // The share is over covered resources: say how many no policy applies to (an older server omits `covered`).
  const uncovered = typeof s.covered === 'number' ? s.taggable - s.covered : 0;
  if (uncovered > 0) extras.push(`${uncovered} not covered by any policy`);
  if (s.unknown > 0) extras.push(`${s.unknown} unknown until apply`);
  if (s.exempted > 0) extras.push(`${s.exempted} exempted`);
  // Disabled policies are checked only when named (policy_ids, --policy): say so, or a reader takes them as live.
  const disabled = result.policies.filter((p) => !p.enabled).length;
  if (disabled > 0) extras.push(`${disabled} disabled ${plural(disabled, 'policy', 'policies')} checked as named`);
  const tail = extras.length ? ` (${extras.join(', ')})` : '';
  if (result.violations.length === 0) {
    return `PASS: ${s.taggable} taggable of ${s.resources} resources checked against ${result.policies.length} ${plural(result.policies.length, 'policy', 'policies')}${tail}`;
  }
  const verdict = s.blocking > 0 ? 'FAIL' : 'WARN';
  const share = s.percent === null ? '' : `, ${s.percent}% tagged correctly`;
  return `${verdict}: ${s.blocking} blocking, ${s.warnings} ${plural(s.warnings, 'warning', 'warnings')} in ${s.failed} of ${s.taggable} taggable resources${share}${tail}`;
}

export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** Violations grouped by resource (and sub path), in plan order. */
export function groupByTarget(violations: readonly TagViolation[]): Map<string, TagViolation[]> {
  const groups = new Map<string, TagViolation[]>();
  for (const v of violations) {
    const key = targetName(v);
    const list = groups.get(key);
    if (list) list.push(v);
    else groups.set(key, [v]);
  }
  return groups;
}

/** FNV-1a over two seeds: a stable 64-bit hex id without importing crypto. */
export function stableHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
