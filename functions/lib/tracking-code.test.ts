import { describe, expect, it } from "vitest";
import {
  formatTrackingCode,
  newTrackingCode,
  normalizeTrackingCode,
  TRACKING_ALPHABET,
  TRACKING_LENGTH,
} from "./tracking-code.ts";

describe("the tracking-code alphabet", () => {
  it("has 32 distinct letters and digits, without the look-alikes 0, O, 1 and I", () => {
    expect(TRACKING_ALPHABET).toHaveLength(32);
    expect(new Set(TRACKING_ALPHABET).size).toBe(32);
    expect(TRACKING_ALPHABET).toMatch(/^[2-9A-Z]+$/);
    for (const ch of "0O1I") expect(TRACKING_ALPHABET).not.toContain(ch);
  });

  it("gives codes of 12 characters carrying at least 50 bits", () => {
    expect(TRACKING_LENGTH).toBe(12);
    // 12 × log2(32) = 12 × 5 = 60 bits.
    expect(TRACKING_LENGTH * Math.log2(TRACKING_ALPHABET.length)).toBeGreaterThanOrEqual(50);
  });
});

describe("newTrackingCode", () => {
  it("returns 12 characters of the alphabet", () => {
    for (let i = 0; i < 100; i++) expect(newTrackingCode()).toMatch(/^[2-9A-HJ-NP-Z]{12}$/);
  });

  it("gives 10,000 distinct codes that use every letter about equally", () => {
    const codes = Array.from({ length: 10_000 }, () => newTrackingCode());
    // Two equal codes among 10,000 of 60 bits: probability about 10^8 / 2^61 ≈ 4 × 10^-11.
    expect(new Set(codes).size).toBe(10_000);
    const counts = new Map<string, number>();
    for (const code of codes) for (const ch of code) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...TRACKING_ALPHABET].sort().join(""));
    // 120,000 letters, 3,750 expected per letter, σ = √(120000 · 1/32 · 31/32) ≈ 60.3; ±6σ ≈ ±362.
    // A biased draw (e.g. modulo 31) would push some letter far outside.
    for (const [ch, n] of counts) {
      expect(n, ch).toBeGreaterThan(3750 - 362);
      expect(n, ch).toBeLessThan(3750 + 362);
    }
  });
});

describe("normalizeTrackingCode", () => {
  const accepted: [input: string, code: string][] = [
    ["ABCDEFGHJKLM", "ABCDEFGHJKLM"],
    ["abcdefghjklm", "ABCDEFGHJKLM"],
    ["ABCD-EFGH-JKLM", "ABCDEFGHJKLM"],
    ["abcd-efgh-jklm", "ABCDEFGHJKLM"],
    ["ABCD EFGH JKLM", "ABCDEFGHJKLM"],
    ["  abcd efgh-jklm\t", "ABCDEFGHJKLM"],
    ["2345-6789-WXYZ", "23456789WXYZ"],
  ];
  it.each(accepted)("reads %j as %s", (input, code) => {
    expect(normalizeTrackingCode(input)).toBe(code);
  });

  const refused: [input: string, why: string][] = [
    ["", "empty"],
    ["ABCD-EFGH-JKL", "11 characters"],
    ["ABCD-EFGH-JKLMN", "13 characters"],
    ["ABCD-EFGH-JKL0", "the digit 0"],
    ["ABCD-EFGH-JKLO", "the letter O"],
    ["ABCD-EFGH-JKL1", "the digit 1"],
    ["ABCD-EFGH-JKLI", "the letter I"],
    ["abcd-efgh-jkli", "a lowercase i"],
    ["ABCD_EFGH_JKLM", "underscores"],
    ["ABCD.EFGH.JKLM", "dots"],
    ["ＡＢＣＤＥＦＧＨＪＫＬＭ", "full-width letters"],
    ["ABCDEFGHJKL😀", "an emoji"],
    ["查询码ABCDEFGHJ", "Chinese characters"],
  ];
  it.each(refused)("refuses %j (%s)", (input) => {
    expect(normalizeTrackingCode(input)).toBeNull();
  });
});

describe("formatTrackingCode", () => {
  it("groups the code in fours, and normalising undoes it", () => {
    expect(formatTrackingCode("ABCDEFGHJKLM")).toBe("ABCD-EFGH-JKLM");
    for (let i = 0; i < 100; i++) {
      const code = newTrackingCode();
      expect(normalizeTrackingCode(formatTrackingCode(code))).toBe(code);
    }
  });
});
