/**
 * A small PDF 1.4 writer for tabular reports, with no dependency: a title block (name, type, tenant,
 * generation time, filters), then the rows as a table on as many A4 landscape pages as they need, the
 * column headers repeated on each page and a page number in the footer. Text is set in the standard
 * Helvetica fonts (every reader has them, nothing is embedded) with WinAnsiEncoding: Latin-1 and the
 * usual typographic characters are kept, anything else becomes `?`. A cell too wide for its column is
 * cut with `...` (CSV and JSON carry every value whole).
 *
 * The file is written incrementally, a page at a time, and is 7-bit ASCII throughout (bytes above 127
 * inside strings are written as octal escapes, content streams are not compressed), so string lengths
 * are byte lengths: each object's byte offset is known as it is written, and the cross-reference table
 * at the end lists them exactly.
 */
import {
  type CellValue,
  cellText,
  type ReportColumn,
  type ReportMeta,
  type ReportRow,
  type ReportWriter,
} from './types.ts';

const PAGE_WIDTH = 842;
const PAGE_HEIGHT = 595;
const MARGIN = 36;
const FONT_SIZE = 7;
const LEADING = 10;
const CELL_PADDING = 4;

// Helvetica advance widths (1/1000 em) of the printable ASCII characters 32–126, from its AFM file.
// prettier-ignore
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
  722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
  556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
  260, 334, 584,
];
/** Bold is wider; headers are measured with this factor (close enough for cutting text). */
const BOLD_FACTOR = 1.08;
/** Other characters (accented letters and the like) are measured as a digit. */
const OTHER_WIDTH = 556;

/** Characters outside Latin-1 that WinAnsiEncoding has, and their codes. */
const WIN_ANSI: Record<number, number> = {
  8364: 0x80,
  8218: 0x82,
  402: 0x83,
  8222: 0x84,
  8230: 0x85,
  8224: 0x86,
  8225: 0x87,
  710: 0x88,
  8240: 0x89,
  352: 0x8a,
  8249: 0x8b,
  338: 0x8c,
  381: 0x8e,
  8216: 0x91,
  8217: 0x92,
  8220: 0x93,
  8221: 0x94,
  8226: 0x95,
  8211: 0x96,
  8212: 0x97,
  732: 0x98,
  8482: 0x99,
  353: 0x9a,
  8250: 0x9b,
  339: 0x9c,
  382: 0x9e,
  376: 0x9f,
};

/**
 * Text as WinAnsi codes: control characters become spaces, characters the font cannot show become `?`.
 * Code points, not UTF-16 units: an emoji is one `?`.
 */
export function winAnsiCodes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out.push(0x20);
    else if (cp <= 0xff) out.push(cp);
    else out.push(WIN_ANSI[cp] ?? 0x3f);
  }
  return out;
}

/** A PDF string literal's inside: `(`, `)` and `\` escaped, codes above 126 as octal escapes. */
export function pdfString(codes: readonly number[]): string {
  let out = '';
  for (const c of codes) {
    if (c === 0x28 || c === 0x29 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return out;
}

const widthOf = (c: number): number => (c >= 32 && c <= 126 ? (ASCII_WIDTHS[c - 32] as number) : OTHER_WIDTH);

/** The width of these codes in points at `size`. */
export function textWidth(codes: readonly number[], size: number, bold = false): number {
  let units = 0;
  for (const c of codes) units += widthOf(c);
  return (units * size * (bold ? BOLD_FACTOR : 1)) / 1000;
}

const DOTS = [0x2e, 0x2e, 0x2e];

/** The codes cut (with `...`) to fit `max` points. */
export function fitText(codes: number[], max: number, size: number, bold = false): number[] {
  if (textWidth(codes, size, bold) <= max) return codes;
  const room = max - textWidth(DOTS, size, bold);
  let units = 0;
  let n = 0;
  const scale = (size * (bold ? BOLD_FACTOR : 1)) / 1000;
  while (n < codes.length && (units + widthOf(codes[n] as number)) * scale <= room) {
    units += widthOf(codes[n] as number);
    n++;
  }
  return [...codes.slice(0, n), ...DOTS];
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, ''));

/** `2026-12-06T12:00:00.000Z` → `D:20261206120000Z`. */
function pdfDate(isoTime: string): string {
  const digits = isoTime.replace(/[^0-9]/g, '').slice(0, 14);
  return `D:${digits.padEnd(14, '0')}Z`;
}

interface Layout {
  x: number[];
  width: number[];
}

function layoutColumns(columns: readonly ReportColumn[]): Layout {
  const total = columns.reduce((s, c) => s + (c.width ?? 1), 0) || 1;
  const usable = PAGE_WIDTH - 2 * MARGIN;
  const x: number[] = [];
  const width: number[] = [];
  let at = MARGIN;
  for (const c of columns) {
    const w = (usable * (c.width ?? 1)) / total;
    x.push(at);
    width.push(Math.max(1, w - CELL_PADDING));
    at += w;
  }
  return { x, width };
}

// Object numbers: fixed ones first, pages (content stream, then page) from FIRST_PAGE_OBJECT on.
const CATALOG = 1;
const PAGES = 2;
const FONT = 3;
const BOLD_FONT = 4;
const INFO = 5;
const FIRST_PAGE_OBJECT = 6;

export function pdfWriter(meta: ReportMeta, columns: readonly ReportColumn[]): ReportWriter {
  const layout = layoutColumns(columns);
  const offsets: number[] = [];
  const pageObjects: number[] = [];
  let written = 0;
  let nextObject = FIRST_PAGE_OBJECT;
  let ops = '';
  let y = 0;
  let rowCount = 0;
  let pageOpen = false;

  const obj = (n: number, body: string): string => {
    offsets[n] = written;
    const s = `${n} 0 obj\n${body}\nendobj\n`;
    written += s.length;
    return s;
  };

  const text = (x: number, at: number, s: string, size: number, bold = false, max?: number) => {
    let codes = winAnsiCodes(s);
    if (max !== undefined) codes = fitText(codes, max, size, bold);
    ops += `BT /${bold ? 'F2' : 'F1'} ${num(size)} Tf ${num(x)} ${num(at)} Td (${pdfString(codes)}) Tj ET\n`;
  };

  /** One table line: a BT block moving from cell to cell. */
  const line = (cells: string[], bold: boolean) => {
    let block = `BT /${bold ? 'F2' : 'F1'} ${FONT_SIZE} Tf ${num(layout.x[0] ?? MARGIN)} ${num(y)} Td`;
    for (let i = 0; i < cells.length; i++) {
      if (i > 0) block += ` ${num((layout.x[i] as number) - (layout.x[i - 1] as number))} 0 Td`;
      const codes = fitText(winAnsiCodes(cells[i] as string), layout.width[i] as number, FONT_SIZE, bold);
      block += ` (${pdfString(codes)}) Tj`;
    }
    ops += `${block} ET\n`;
    y -= LEADING;
  };

  const tableHeader = () => {
    line(
      columns.map((c) => c.label ?? c.key),
      true,
    );
    const ruleY = y + LEADING - 3;
    ops += `0.5 w ${MARGIN} ${num(ruleY)} m ${PAGE_WIDTH - MARGIN} ${num(ruleY)} l S\n`;
  };

  const openPage = (first: boolean) => {
    ops = '';
    y = PAGE_HEIGHT - MARGIN - 14;
    pageOpen = true;
    if (first) {
      text(MARGIN, y, meta.name, 14, true, PAGE_WIDTH - 2 * MARGIN);
      y -= 18;
      text(
        MARGIN,
        y,
        `${meta.type} report · tenant ${meta.tenant} · generated ${meta.generatedAt} · ${meta.id}`,
        8,
        false,
        PAGE_WIDTH - 2 * MARGIN,
      );
      y -= 12;
      const filters = Object.entries(meta.filters)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join('; ');
      text(MARGIN, y, `Filters: ${filters || 'none'}`, 8, false, PAGE_WIDTH - 2 * MARGIN);
      y -= 20;
    } else {
      y += 4;
    }
    tableHeader();
  };

  const closePage = (): string => {
    const page = pageObjects.length + 1;
    text(MARGIN, MARGIN - 16, `Infracast · ${meta.name} · page ${page}`, 7, false, PAGE_WIDTH - 2 * MARGIN);
    const content = nextObject++;
    const pageObject = nextObject++;
    pageObjects.push(pageObject);
    pageOpen = false;
    return (
      obj(content, `<< /Length ${ops.length} >>\nstream\n${ops}\nendstream`) +
      obj(
        pageObject,
        `<< /Type /Page /Parent ${PAGES} 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
          `/Resources << /Font << /F1 ${FONT} 0 R /F2 ${BOLD_FONT} 0 R >> >> /Contents ${content} 0 R >>`,
      )
    );
  };

  const roomFor = (lines: number) => y - (lines - 1) * LEADING >= MARGIN;

  return {
    start() {
      // No binary-marker comment line after the header: the file stays 7-bit ASCII (see above).
      let out = '%PDF-1.4\n';
      written = out.length;
      out += obj(CATALOG, `<< /Type /Catalog /Pages ${PAGES} 0 R >>`);
      out += obj(FONT, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
      out += obj(BOLD_FONT, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
      out += obj(
        INFO,
        `<< /Title (${pdfString(winAnsiCodes(meta.name))}) /Subject (${pdfString(winAnsiCodes(`${meta.type} report`))}) ` +
          `/Producer (Infracast) /CreationDate (${pdfDate(meta.generatedAt)}) >>`,
      );
      openPage(true);
      return out;
    },
    rows(rows) {
      let out = '';
      for (const row of rows) {
        if (!pageOpen) openPage(false);
        if (!roomFor(1)) {
          out += closePage();
          openPage(false);
        }
        line(
          columns.map((c) => cellText(row[c.key] as CellValue | undefined)),
          false,
        );
        rowCount++;
      }
      return out;
    },
    end() {
      let out = '';
      if (!pageOpen) openPage(false);
      if (!roomFor(2)) {
        out += closePage();
        openPage(false);
      }
      y -= 4;
      text(MARGIN, y, rowCount === 0 ? 'No rows.' : `${rowCount} ${rowCount === 1 ? 'row' : 'rows'}.`, FONT_SIZE, true);
      out += closePage();
      out += obj(
        PAGES,
        `<< /Type /Pages /Kids [${pageObjects.map((p) => `${p} 0 R`).join(' ')}] /Count ${pageObjects.length} >>`,
      );
      const xrefAt = written;
      const size = nextObject;
      let xref = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
      for (let n = 1; n < size; n++) xref += `${String(offsets[n] ?? 0).padStart(10, '0')} 00000 n\r\n`;
      out += `${xref}trailer\n<< /Size ${size} /Root ${CATALOG} 0 R /Info ${INFO} 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
      return out;
    },
  };
}

/** A whole PDF at once (tests, small reports). */
export function renderPdf(meta: ReportMeta, columns: readonly ReportColumn[], rows: readonly ReportRow[]): string {
  const w = pdfWriter(meta, columns);
  return w.start() + w.rows(rows) + w.end();
}
