/**
 * GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`
 * per violation (`::warning` for warn policies), escaped as the runner
 * requires — `%`, CR and LF in the message; also `:` and `,` in properties.
 */
import type { ValidationResult } from '../types.ts';
import { type FormatOptions, headline, oneLine, targetName } from './common.ts';

export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function command(name: string, properties: Record<string, string | number | null>, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

export function formatGithub(result: ValidationResult, opts: FormatOptions = {}): string {
  const lines = result.violations.map((v) =>
    command(
      v.enforcement === 'block' ? 'error' : 'warning',
      {
        file: v.file ?? opts.defaultFile ?? null,
        line: v.file ? v.line : null,
        title: `Tagging: ${v.key} on ${targetName(v)}`,
      },
      `${oneLine(v)}\nPolicy: ${v.policy_name} (${v.policy_id}).`,
    ),
  );
  lines.push(command('notice', { title: 'Infracast tagging' }, headline(result)));
  return `${lines.join('\n')}\n`;
}
