/**
 * A pull-request comment: a summary line, a table of violations (resource,
 * key, actual, expected and the team's message, suggestions), and the rest
 * inside <details> when there are many.
 */
import type { TagViolation, ValidationResult } from '../types.ts';
import { type FormatOptions, headline, policiesText, targetName } from './common.ts';

/** Inline code that survives backticks and pipes inside table cells. */
function code(text: string): string {
  const safe = text.replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
  const fence = safe.includes('`') ? '``' : '`';
  const pad = fence === '``' ? ' ' : '';
  return `${fence}${pad}${safe}${pad}${fence}`;
}

/** Prose inside a table cell: no raw HTML, no row breaks. */
function cell(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** Rule text as prose: Markdown punctuation escaped, or `^[a-z]*-[0-9]*$` would render as emphasis. */
function literal(text: string): string {
  return text.replace(/[\\`*_~[\]]/g, '\\$&');
}

function row(v: TagViolation): string {
  const icon = v.enforcement === 'block' ? '❌' : '⚠️';
  const actual = v.actual === null ? '_missing_' : code(v.actual);
  const expected = `${cell(literal(v.rule.text.replaceAll('`', '')))}<br>${cell(v.message)}`;
  const suggestions =
    v.suggestions.length > 0
      ? v.suggestions.map(code).join(', ')
      : v.similar_key
        ? `rename ${code(v.similar_key)} to ${code(v.key)}`
        : '';
  return `| ${icon} | ${code(targetName(v))} | ${code(v.key)} | ${actual} | ${expected} | ${suggestions} |`;
}

const HEADER = ['| | Resource | Key | Actual | Expected / message | Did you mean |', '|---|---|---|---|---|---|'];

export function formatMarkdown(result: ValidationResult, opts: FormatOptions = {}): string {
  const s = result.summary;
  const icon = result.violations.length === 0 ? '✅' : s.blocking > 0 ? '❌' : '⚠️';
  const out = [`### ${icon} Infracast tagging: ${headline(result)}`, ''];
  if (result.violations.length === 0) {
    out.push('All tags match the tagging policies.');
  } else {
    const limit = opts.maxTableRows ?? 20;
    // Blocking first, so the rows that fail the check are never the ones collapsed.
    const sorted = [...result.violations].sort(
      (a, b) => Number(b.enforcement === 'block') - Number(a.enforcement === 'block'),
    );
    out.push(...HEADER, ...sorted.slice(0, limit).map(row));
    if (sorted.length > limit) {
      const rest = sorted.length - limit;
      out.push(
        '',
        `<details><summary>${rest} more ${rest === 1 ? 'violation' : 'violations'}</summary>`,
        '',
        ...HEADER,
      );
      out.push(...sorted.slice(limit).map(row), '', '</details>');
    }
    const policies = new Map<string, string>();
    for (const v of result.violations) policies.set(v.policy_id, policiesText({ ...v, policies: [v.policies[0]!] }));
    out.push('', `<sub>Policies: ${[...policies.values()].map(cell).join('; ')}</sub>`);
  }
  const unknown = result.resources.filter((r) => r.status === 'unknown');
  if (unknown.length > 0) {
    out.push(
      '',
      `<details><summary>${unknown.length} ${unknown.length === 1 ? 'resource' : 'resources'} with tags known only after apply</summary>`,
      '',
      ...unknown.map((r) => `- ${code(r.address)}`),
      '',
      '</details>',
    );
  }
  return `${out.join('\n')}\n`;
}
