import { describe, expect, it } from 'vitest';
import { renderPdf } from '../../../src/core/reports/index.ts';
import { fitText, pdfString, winAnsiCodes } from '../../../src/core/reports/pdf.ts';
import { checkPdf } from './helpers.ts';

const meta = {
  id: 'rpt_01JD3Y7J9Q8Z5T6W2X4C8V0B1N',
  name: 'Inventory (prod) \\ Q4',
  type: 'inventory',
  tenant: 'acme',
  generatedAt: '2026-12-06T12:34:56.000Z',
  filters: { region: ['us-east-1'] },
};
const columns = [{ key: 'id', width: 2 }, { key: 'name' }, { key: 'tags' }];

describe('PDF writer', () => {
  it('makes a well-formed PDF 1.4: exact xref offsets, stream lengths, trailer, %%EOF; the text is there', () => {
    const pdf = renderPdf(meta, columns, [
      { id: 'aws:us-east-1:aws.ec2.instance:web-01', name: 'web (01)', tags: { env: 'prod' } },
      { id: 'b', name: 'Café ünïcode — “quoted” 日本 🎉', tags: null },
    ]);
    const doc = checkPdf(pdf);
    expect(doc.pages).toBe(1);
    expect(pdf).toContain('/BaseFont /Helvetica ');
    expect(pdf).toContain('/Encoding /WinAnsiEncoding');
    expect(doc.texts).toContain('Inventory (prod) \\ Q4');
    expect(doc.texts).toContain('aws:us-east-1:aws.ec2.instance:web-01');
    expect(doc.texts).toContain('web (01)');
    expect(doc.texts).toContain('env=prod');
    // Latin-1 kept (as octal escapes), WinAnsi typography mapped, the rest replaced by `?` (one per character).
    expect(doc.texts).toContain('Caf\u00e9 \u00fcn\u00efcode \u0097 \u0093quoted\u0094 ?? ?');
    expect(doc.texts.some((t) => t.includes('tenant acme') && t.includes('2026-12-06T12:34:56.000Z'))).toBe(true);
    expect(doc.texts).toContain('2 rows.');
    expect(pdf).toContain('/CreationDate (D:20261206123456Z)');
  });

  it('breaks rows over pages, repeating the header, and says when there are none', () => {
    const rows = Array.from({ length: 130 }, (_, i) => ({ id: `node-${i}`, name: `n${i}`, tags: null }));
    const doc = checkPdf(renderPdf(meta, columns, rows));
    expect(doc.pages).toBeGreaterThanOrEqual(3);
    expect(doc.texts.filter((t) => t === 'id')).toHaveLength(doc.pages);
    for (const r of rows) expect(doc.texts).toContain(r.id);
    expect(doc.texts).toContain(`Infracast · ${meta.name} · page ${doc.pages}`);
    const empty = checkPdf(renderPdf(meta, columns, []));
    expect(empty.pages).toBe(1);
    expect(empty.texts).toContain('No rows.');
  });

  it('escapes ( ) \\ and cuts text too wide for its column', () => {
    expect(pdfString(winAnsiCodes('a(b)c\\d'))).toBe('a\\(b\\)c\\\\d');
    expect(pdfString(winAnsiCodes('é'))).toBe('\\351');
    expect(pdfString(winAnsiCodes('tab\there'))).toBe('tab here');
    const cut = String.fromCharCode(...fitText(winAnsiCodes('x'.repeat(500)), 50, 7));
    expect(cut.endsWith('...')).toBe(true);
    expect(cut.length).toBeLessThan(30);
  });
});
