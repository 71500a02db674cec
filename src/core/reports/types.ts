/**
 * The data contract between report providers (which read rows) and the writers here (which turn rows
 * into CSV, JSON or PDF). Pure: no I/O, no clock; writers return text chunks for the caller to store.
 */

/** A cell: text, a number, a flag, a list of values or a string map (tags); null when empty. */
export type CellValue = string | number | boolean | null | readonly string[] | Readonly<Record<string, string>>;

/** One row: a value per column key (missing keys read as null). */
export type ReportRow = Readonly<Record<string, CellValue | undefined>>;

export interface ReportColumn {
  /** The JSON key and the CSV header. */
  key: string;
  /** The PDF header (default the key). */
  label?: string;
  /** Relative width of the column in the PDF table (default 1). */
  width?: number;
}

/** What a document says about itself (PDF title block, JSON `report` object). */
export interface ReportMeta {
  id: string;
  name: string;
  type: string;
  tenant: string;
  /** ISO 8601 UTC. */
  generatedAt: string;
  filters: Readonly<Record<string, unknown>>;
}

export const REPORT_FORMATS = ['csv', 'json', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  pdf: 'application/pdf',
};

/**
 * Writes a document incrementally, so a large report is never one string: `start()` once, `rows()` per
 * batch, `end()` once; the concatenation of what they return is the document.
 */
export interface ReportWriter {
  start(): string;
  rows(rows: readonly ReportRow[]): string;
  end(): string;
}

/** A cell as one line of text (CSV cells, PDF cells): lists joined by `; `, maps as `k=v; k2=v2`. */
export function cellText(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return (value as readonly string[]).join('; ');
  return Object.entries(value as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}
