/**
 * CSV (RFC 4180): a header line, then a line per row, CRLF line ends; a field is quoted when it holds a
 * comma, a double quote, CR or LF, with quotes doubled. Text cells that a spreadsheet would run as a
 * formula (starting with = + - @, tab or CR) get a leading single quote, as OWASP recommends against CSV
 * injection: a tag value `=HYPERLINK(…)` reads as text, not as a formula. Numbers and flags are left as
 * they are (they come from the report, not from tenant data).
 */
import { type CellValue, cellText, type ReportColumn, type ReportRow, type ReportWriter } from './types.ts';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field: guarded against formula injection, then quoted if needed. */
export function csvField(value: CellValue | undefined): string {
  let text = cellText(value);
  if (typeof value !== 'number' && typeof value !== 'boolean' && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.join(',')}\r\n`;
}

export function csvWriter(columns: readonly ReportColumn[]): ReportWriter {
  return {
    start: () => csvLine(columns.map((c) => csvField(c.key))),
    rows(rows) {
      let out = '';
      for (const row of rows) out += csvLine(columns.map((c) => csvField(row[c.key])));
      return out;
    },
    end: () => '',
  };
}

/** A whole CSV document at once (tests, small reports). */
export function renderCsv(columns: readonly ReportColumn[], rows: readonly ReportRow[]): string {
  const w = csvWriter(columns);
  return w.start() + w.rows(rows) + w.end();
}
