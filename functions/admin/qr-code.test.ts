import qrcode from "qrcode-generator";
import { describe, expect, it } from "vitest";
import { assertWellFormedXml, decodePng } from "../../test/image-checks.ts";
import { posterSvg, qrPath } from "./poster.ts";
import { crc32, type QrMatrix, qrMatrix, qrPng } from "./qr-code.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The 7 × 7 finder pattern (ISO/IEC 18004 §6.3.3): dark ring, light ring, dark 3 × 3 centre. */
function isFinderAt(m: QrMatrix, top: number, left: number): boolean {
  for (let r = 0; r < 7; r++) {
    for (let c = 0; c < 7; c++) {
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      if (m[top + r]![left + c] !== (ring !== 2)) return false;
    }
  }
  return true;
}

describe("qrMatrix", () => {
  // Byte-mode capacities at level M (ISO/IEC 18004 Table 7): v1 14, v2 26, v3 42, v5 84, v6 106.
  it.each([
    ["h", 1],
    ["https://huiyin.example/w/demo/opinion", 3],
    [`https://huiyin.example/w/${"a".repeat(40)}/${"b".repeat(30)}`, 6],
  ])("encodes %j at version %i (4 × version + 17 modules), as the library counts", (text, version) => {
    const m = qrMatrix(text);
    expect(m.length).toBe(4 * version + 17);
    expect(m.every((row) => row.length === m.length)).toBe(true);
    const lib = qrcode(0, "M");
    lib.addData(text, "Byte");
    lib.make();
    expect(m.length).toBe(lib.getModuleCount());
  });

  it("has finder patterns at three corners (not the fourth), timing patterns and the dark module", () => {
    const m = qrMatrix("https://huiyin.example/w/demo/opinion");
    const n = m.length;
    expect(isFinderAt(m, 0, 0)).toBe(true);
    expect(isFinderAt(m, 0, n - 7)).toBe(true);
    expect(isFinderAt(m, n - 7, 0)).toBe(true);
    expect(isFinderAt(m, n - 7, n - 7)).toBe(false);
    // Separators: the light row and column beside each finder.
    for (let i = 0; i < 8; i++) {
      expect(m[7]![i]).toBe(false);
      expect(m[i]![7]).toBe(false);
      expect(m[7]![n - 1 - i]).toBe(false);
      expect(m[n - 8]![i]).toBe(false);
    }
    for (let i = 8; i < n - 8; i++) {
      expect(m[6]![i]).toBe(i % 2 === 0);
      expect(m[i]![6]).toBe(i % 2 === 0);
    }
    expect(m[n - 8]![8]).toBe(true);
  });

  it("refuses text that the byte mode would mangle (non-ASCII)", () => {
    expect(() => qrMatrix("https://例子.cn/")).toThrow(RangeError);
  });
});

describe("crc32", () => {
  it("gives the standard check values", () => {
    expect(crc32(enc("123456789"))).toBe(0xcbf43926);
    expect(crc32(enc("IEND"))).toBe(0xae426082);
  });
});

describe("qrPng", () => {
  it("is a valid 1-bit PNG of (modules + 8) × 8 pixels whose pixels are the matrix", async () => {
    const m = qrMatrix("https://huiyin.example/w/demo/opinion");
    const png = await qrPng(m);
    const img = await decodePng(png);
    expect(img.width).toBe((m.length + 8) * 8);
    expect(img.height).toBe(img.width);
    expect(img.rawLength).toBe(img.height * (1 + Math.ceil(img.width / 8)));
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const dark = m[Math.floor(y / 8) - 4]?.[Math.floor(x / 8) - 4] ?? false;
        if (img.rows[y]![x] !== dark) throw new Error(`pixel ${x},${y} should be ${dark ? "dark" : "light"}`);
      }
    }
  });

  it("takes another scale and quiet zone", async () => {
    const m = qrMatrix("h");
    const img = await decodePng(await qrPng(m, 3, 2));
    expect(img.width).toBe((21 + 4) * 3);
    expect(img.rows[0]!.every((p) => !p)).toBe(true);
    expect(img.rows[6]![6]).toBe(true);
  });
});

describe("posterSvg", () => {
  it("draws exactly the dark modules, merged into runs", () => {
    const m: QrMatrix = [
      [true, true, false],
      [false, true, false],
      [true, false, true],
    ];
    expect(qrPath(m)).toBe("M0 0h2v1h-2zM1 1h1v1h-1zM0 2h1v1h-1zM2 2h1v1h-1z");
  });

  it("escapes the department name, title and addresses", () => {
    const svg = posterSvg({
      deptName: `A&B <局> "x"`,
      formTitle: "意见箱",
      url: "https://h.example/w/a/b?x=1&y=2",
      trackUrl: "https://h.example/t",
      matrix: qrMatrix("x"),
    });
    expect(svg).toContain("A&amp;B &lt;局&gt; &quot;x&quot;");
    expect(svg).toContain("https://h.example/w/a/b?x=1&amp;y=2");
    expect(svg).not.toContain("<局>");
    assertWellFormedXml(svg);
    expect(svg).toMatch(/<svg [^>]*width="210mm" height="297mm" viewBox="0 0 210 297"/);
  });

  it("is checked by a well-formedness test that does catch broken documents", () => {
    expect(() => assertWellFormedXml("<a><b></a></b>")).toThrow();
    expect(() => assertWellFormedXml("<a>x & y</a>")).toThrow();
    expect(() => assertWellFormedXml('<a t="1" t="2"/>')).toThrow();
    expect(() => assertWellFormedXml("<a/><b/>")).toThrow();
    expect(() => assertWellFormedXml('<a x="<"/>')).toThrow();
    expect(() => assertWellFormedXml("<a>&amp;&#20013;</a>")).not.toThrow();
  });
});
