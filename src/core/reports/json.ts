/**
 * JSON: `{"report": {id, name, type, tenant, generated_at, filters, columns}, "rows": [{…}, …],
 * "row_count": n}`, written incrementally (the rows array is never one string). Each row has every
 * column key; tags stay objects and lists stay arrays.
 */
import type { ReportColumn, ReportMeta, ReportWriter } from './types.ts';

export function jsonWriter(meta: ReportMeta, columns: readonly ReportColumn[]): ReportWriter {
  let count = 0;
  const head = {
    id: meta.id,
    name: meta.name,
    type: meta.type,
    tenant: meta.tenant,
    generated_at: meta.generatedAt,
    filters: meta.filters,
    columns: columns.map((c) => c.key),
  };
  return {
    start: () => `{"report":${JSON.stringify(head)},"rows":[`,
    rows(rows) {
      let out = '';
      for (const row of rows) {
        const obj: Record<string, unknown> = {};
        for (const c of columns) obj[c.key] = row[c.key] ?? null;
        out += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(obj)}`;
        count++;
      }
      return out;
    },
    end: () => `${count === 0 ? '' : '\n'}],"row_count":${count}}\n`,
  };
}
