/**
 * CSV as Excel in China opens it: RFC 4180 (CRLF line ends; a field with a comma, a double quote or a
 * line break is quoted, quotes doubled) behind a UTF-8 byte order mark. A cell that a spreadsheet
 * would take for a formula (it starts with = + - @, a tab or a carriage return) gets a leading `'`
 * (ASVS 5.0 1.2.10, CSV injection).
 */

/** The UTF-8 byte order mark: without it Excel reads UTF-8 CSV as the local code page (GBK). */
export const CSV_BOM = "\uFEFF";

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell. `null`/`undefined` become an empty cell.
 * @example csvCell('=HYPERLINK("x")') // => `"'=HYPERLINK(""x"")"`
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, CRLF-terminated. */
export function csvRow(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
