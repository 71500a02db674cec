import { describe, expect, it } from 'vitest';
import { csvField, renderCsv } from '../../../src/core/reports/index.ts';
import { parseCsv } from './helpers.ts';

const columns = [{ key: 'id' }, { key: 'name' }, { key: 'tags' }, { key: 'count' }];

describe('CSV writer', () => {
  it('writes a header and CRLF records that an RFC 4180 reader reads back', () => {
    const csv = renderCsv(columns, [
      { id: 'a', name: 'plain', tags: { env: 'prod', app: 'x' }, count: 3 },
      { id: 'b', name: 'comma, "quoted"\nnew line', tags: {}, count: null },
      { id: 'c', name: 'missing columns' },
    ]);
    expect(csv.startsWith('id,name,tags,count\r\n')).toBe(true);
    expect(parseCsv(csv)).toEqual([
      ['id', 'name', 'tags', 'count'],
      ['a', 'plain', 'env=prod; app=x', '3'],
      ['b', 'comma, "quoted"\nnew line', '', ''],
      ['c', 'missing columns', '', ''],
    ]);
  });

  it('prefixes text a spreadsheet would run as a formula with a quote (OWASP)', () => {
    for (const evil of ['=1+2', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvField(evil).replace(/^"|"$/g, '').startsWith("'"), JSON.stringify(evil)).toBe(true);
    }
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(parseCsv(renderCsv([{ key: 'v' }], [{ v: '=cmd|calc' }]))[1]).toEqual(["'=cmd|calc"]);
    // Lists and maps are guarded on their text too; numbers are not text from tenants.
    expect(csvField(['=a', 'b'])).toBe("'=a; b");
    expect(csvField(-5)).toBe('-5');
    expect(csvField('a=b')).toBe('a=b');
  });
});
