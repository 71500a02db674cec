/** Every output of the validator as a string: the CLI prints it, the API returns it. */
import type { ValidationResult } from '../types.ts';
import type { FormatOptions } from './common.ts';
import { formatGithub } from './github.ts';
import { formatJunit } from './junit.ts';
import { formatMarkdown } from './markdown.ts';
import { formatSarif } from './sarif.ts';
import { formatText } from './text.ts';

export const OUTPUT_FORMATS = ['text', 'json', 'markdown', 'sarif', 'junit', 'github'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: unknown): value is OutputFormat {
  return typeof value === 'string' && (OUTPUT_FORMATS as readonly string[]).includes(value);
}

export function formatValidation(result: ValidationResult, format: OutputFormat, opts: FormatOptions = {}): string {
  switch (format) {
    case 'text':
      return formatText(result);
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`;
    case 'markdown':
      return formatMarkdown(result, opts);
    case 'sarif':
      return formatSarif(result, opts);
    case 'junit':
      return formatJunit(result, opts);
    case 'github':
      return formatGithub(result, opts);
    default: {
      const never: never = format;
      throw new Error(`unknown output format: ${String(never)}`);
    }
  }
}

export type { FormatOptions } from './common.ts';
export { escapeData, escapeProperty } from './github.ts';
export { buildSarif } from './sarif.ts';
