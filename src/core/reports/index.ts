/** Report documents: pure writers from rows to CSV, JSON and PDF text. */
import { csvWriter } from './csv.ts';
import { jsonWriter } from './json.ts';
import { pdfWriter } from './pdf.ts';
import type { ReportColumn, ReportFormat, ReportMeta, ReportWriter } from './types.ts';

export { csvField, csvWriter, renderCsv } from './csv.ts';
export { jsonWriter } from './json.ts';
export { pdfWriter, renderPdf } from './pdf.ts';
export * from './types.ts';

export function reportWriter(format: ReportFormat, meta: ReportMeta, columns: readonly ReportColumn[]): ReportWriter {
  switch (format) {
    case 'csv':
      return csvWriter(columns);
    case 'json':
      return jsonWriter(meta, columns);
    case 'pdf':
      return pdfWriter(meta, columns);
  }
}
