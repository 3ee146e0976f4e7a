import { describe, expect, it } from "vitest";
import { CSV_BOM, csvCell, csvRow } from "./csv.ts";

describe("CSV cells (RFC 4180, ASVS 5.0 1.2.10)", () => {
  it.each([
    ["plain", "plain"],
    ["中文内容", "中文内容"],
    ["", ""],
    [null, ""],
    [undefined, ""],
    [42, "42"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["two\r\nlines", '"two\r\nlines"'],
    ["=1+1", "'=1+1"],
    ["+86 138", "'+86 138"],
    ["-2", "'-2"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tindent", "'\tindent"],
    ["\rreturn", '"\'\rreturn"'],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ["a=b", "a=b"],
    [" =1", " =1"],
  ])("csvCell(%j) = %j", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it("ends a row with CRLF and the BOM is U+FEFF", () => {
    expect(csvRow(["a", "b,c", null])).toBe('a,"b,c",\r\n');
    expect(new TextEncoder().encode(CSV_BOM)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
  });
});
