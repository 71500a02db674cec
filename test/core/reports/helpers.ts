/** Readers for the documents the report writers make, strict enough that a malformed one fails a test. */

/** Parses RFC 4180 CSV (CRLF records, quoted fields with doubled quotes); throws on anything else. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error('unterminated quoted field');
          field += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') {
            field += '"';
            i++;
          } else break;
        }
      } else {
        const m = /[,\r\n]/.exec(text.slice(i));
        const end = m ? i + m.index : text.length;
        field = text.slice(i, end);
        if (field.includes('"')) throw new Error(`bare quote in field ${field}`);
        i = end;
      }
      row.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 5))}`);
    }
    rows.push(row);
  }
  return rows;
}

export interface ParsedPdf {
  objects: Map<number, string>;
  pages: number;
  /** Every string shown with Tj, unescaped (octal escapes kept as char codes). */
  texts: string[];
}

/**
 * Checks a PDF's skeleton: header, an xref table whose every offset points exactly at `n 0 obj`,
 * a trailer with the right /Size, startxref pointing at `xref`, and %%EOF. Returns its objects.
 */
export function checkPdf(pdf: string): ParsedPdf {
  if (!pdf.startsWith('%PDF-1.4\n')) throw new Error('no PDF 1.4 header');
  if (!pdf.endsWith('%%EOF\n')) throw new Error('no %%EOF at the end');
  if (/[^\t\n\r -~]/.test(pdf)) throw new Error('not 7-bit ASCII');
  const start = /startxref\n(\d+)\n%%EOF\n$/.exec(pdf);
  if (!start) throw new Error('no startxref');
  const xrefAt = Number(start[1]);
  if (!pdf.startsWith('xref\n', xrefAt)) throw new Error(`startxref ${xrefAt} does not point at xref`);
  const head = /^xref\n0 (\d+)\n/.exec(pdf.slice(xrefAt));
  if (!head) throw new Error('bad xref subsection header');
  const size = Number(head[1]);
  let at = xrefAt + head[0].length;
  const objects = new Map<number, string>();
  for (let n = 0; n < size; n++) {
    const entry = pdf.slice(at, at + 20);
    at += 20;
    const m = /^(\d{10}) (\d{5}) ([nf])\r\n$/.exec(entry);
    if (!m) throw new Error(`bad xref entry ${n}: ${JSON.stringify(entry)}`);
    if (n === 0) {
      if (m[3] !== 'f' || m[2] !== '65535') throw new Error('entry 0 must be free');
      continue;
    }
    const offset = Number(m[1]);
    if (!pdf.startsWith(`${n} 0 obj\n`, offset)) throw new Error(`object ${n} is not at ${offset}`);
    const end = pdf.indexOf('\nendobj\n', offset);
    objects.set(n, pdf.slice(offset, end));
  }
  const trailer = pdf.slice(at, pdf.lastIndexOf('startxref'));
  if (!trailer.startsWith('trailer\n') || !trailer.includes(`/Size ${size} `)) throw new Error('bad trailer');
  for (const body of objects.values()) {
    const stream = /<< \/Length (\d+) >>\nstream\n/.exec(body);
    if (!stream) continue;
    const from = body.indexOf('stream\n') + 'stream\n'.length;
    if (body.slice(from + Number(stream[1])) !== '\nendstream') throw new Error('stream /Length is wrong');
  }
  const pagesObj = [...objects.values()].find((o) => o.includes('/Type /Pages'));
  const pages = Number(/\/Count (\d+)/.exec(pagesObj ?? '')?.[1] ?? 0);
  const texts = [...pdf.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)].map((m) =>
    (m[1] as string).replace(/\\([0-7]{3}|.)/g, (_x, e: string) =>
      e.length === 3 ? String.fromCharCode(Number.parseInt(e, 8)) : e,
    ),
  );
  return { objects, pages, texts };
}
