/** Plain text for terminals and CI logs (no colour codes: callers add them if they want). */
import type { ValidationResult } from '../types.ts';
import { expectedText, groupByTarget, headline, policiesText, problemText, suggestionText } from './common.ts';

export function formatText(result: ValidationResult): string {
  const lines = [`Infracast tagging: ${headline(result)}`];
  for (const [target, violations] of groupByTarget(result.violations)) {
    const blocking = violations.some((v) => v.enforcement === 'block');
    lines.push('', `${blocking ? '✖ error' : '⚠ warning'}  ${target}  (${violations[0]!.resource_type})`);
    for (const v of violations) {
      lines.push(`    ${problemText(v)}; ${expectedText(v)}`);
      for (const line of v.message.split(/\r?\n/)) lines.push(`      ${line}`);
      const suggestion = suggestionText(v);
      if (suggestion) lines.push(`      → ${suggestion}`);
      lines.push(`      policy: ${policiesText(v)}`);
    }
  }
  const unknown = result.resources.filter((r) => r.status === 'unknown');
  if (unknown.length > 0) {
    lines.push('', `Known only after apply (not failed): ${unknown.map((r) => r.address).join(', ')}`);
  }
  for (const warning of result.warnings) lines.push('', `note: ${warning}`);
  return `${lines.join('\n')}\n`;
}
