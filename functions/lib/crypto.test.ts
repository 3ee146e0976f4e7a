import { describe, expect, it } from "vitest";
import {
  decryptPersonal,
  encryptPersonal,
  fromBase64,
  hashPassword,
  PBKDF2_ITERATIONS,
  randomSecret,
  sha256Hex,
  toBase64,
  verifyPassword,
} from "./crypto.ts";

const KEY = toBase64(Uint8Array.from({ length: 32 }, (_, i) => i));
const OTHER_KEY = toBase64(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
const AAD = "case:0b2f6a4e";

/** Flips one bit of the base64 part `index` (1 = IV, 2 = ciphertext) of a sealed value. */
function flip(sealed: string, index: 1 | 2, byte = 0): string {
  const parts = sealed.split(".");
  const bytes = fromBase64(parts[index]!);
  bytes[byte]! ^= 0x01;
  parts[index] = toBase64(bytes);
  return parts.join(".");
}

describe("toBase64 / fromBase64", () => {
  it.each([
    [[], ""],
    [[102, 111, 111], "Zm9v"],
    [[0, 255, 254, 253], "AP/+/Q=="],
  ])("%j ↔ %s", (bytes, b64) => {
    expect(toBase64(Uint8Array.from(bytes))).toBe(b64);
    expect([...fromBase64(b64)]).toEqual(bytes);
  });
});

describe("sha256Hex", () => {
  it.each([
    // FIPS 180-2, appendix B.1, and the empty string.
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ])("of %j", async (input, hex) => {
    expect(await sha256Hex(input)).toBe(hex);
  });
});

describe("encryptPersonal / decryptPersonal (AES-256-GCM)", () => {
  it.each(["13800138000", "张三 · 110101199003071234", "😀 emoji", ""])("round-trips %j", async (plain) => {
    const sealed = await encryptPersonal(KEY, plain, AAD);
    expect(await decryptPersonal(KEY, sealed, AAD)).toBe(plain);
  });

  it("writes v1.<12-byte IV>.<ciphertext with a 16-byte tag>, without the plaintext", async () => {
    const sealed = await encryptPersonal(KEY, "13800138000", AAD);
    const [version, iv, ct] = sealed.split(".");
    expect(version).toBe("v1");
    expect(fromBase64(iv!)).toHaveLength(12);
    expect(fromBase64(ct!)).toHaveLength(11 + 16);
    expect(sealed).not.toContain("13800138000");
    expect(sealed).not.toContain(toBase64(new TextEncoder().encode("13800138000")));
  });

  it("uses a fresh IV each time", async () => {
    const a = await encryptPersonal(KEY, "13800138000", AAD);
    const b = await encryptPersonal(KEY, "13800138000", AAD);
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
    expect(a).not.toBe(b);
  });

  it("fails with another row's AAD", async () => {
    const sealed = await encryptPersonal(KEY, "13800138000", AAD);
    await expect(decryptPersonal(KEY, sealed, "case:other")).rejects.toThrow();
    await expect(decryptPersonal(KEY, sealed, "")).rejects.toThrow();
  });

  it("fails with another key", async () => {
    const sealed = await encryptPersonal(KEY, "13800138000", AAD);
    await expect(decryptPersonal(OTHER_KEY, sealed, AAD)).rejects.toThrow();
  });

  it.each([
    ["the first ciphertext byte", 2, 0],
    ["the last tag byte", 2, 26],
    ["the IV", 1, 5],
  ] as const)("fails when %s is changed", async (_, part, byte) => {
    const sealed = await encryptPersonal(KEY, "13800138000", AAD);
    await expect(decryptPersonal(KEY, sealed, AAD)).resolves.toBe("13800138000");
    await expect(decryptPersonal(KEY, flip(sealed, part, byte), AAD)).rejects.toThrow();
  });

  it("fails when the ciphertext is cut short", async () => {
    const sealed = await encryptPersonal(KEY, "13800138000", AAD);
    const [v, iv, ct] = sealed.split(".");
    const short = toBase64(fromBase64(ct!).slice(0, -1));
    await expect(decryptPersonal(KEY, `${v}.${iv}.${short}`, AAD)).rejects.toThrow();
  });

  it.each(["v2.AAAA.AAAA", "v1.AAAA", "13800138000", ""])("refuses the unknown format %j", async (sealed) => {
    await expect(decryptPersonal(KEY, sealed, AAD)).rejects.toThrow("unknown ciphertext format");
  });

  it("refuses a key that is not 32 bytes", async () => {
    await expect(encryptPersonal(toBase64(new Uint8Array(16)), "x", AAD)).rejects.toThrow(/32 bytes/);
  });
});

describe("hashPassword / verifyPassword (PBKDF2-SHA256)", () => {
  it("writes pbkdf2-sha256$100000$<16-byte salt>$<32-byte hash>", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(PBKDF2_ITERATIONS).toBe(100_000);
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const [, , salt, hash] = stored.split("$");
    expect(fromBase64(salt!)).toHaveLength(16);
    expect(fromBase64(hash!)).toHaveLength(32);
  });

  it("verifies the right password and refuses wrong ones", async () => {
    const stored = await hashPassword("correct horse battery staple");
    await expect(verifyPassword("correct horse battery staple", stored)).resolves.toBe(true);
    await expect(verifyPassword("correct horse battery stapl", stored)).resolves.toBe(false);
    await expect(verifyPassword("Correct horse battery staple", stored)).resolves.toBe(false);
    await expect(verifyPassword("", stored)).resolves.toBe(false);
  });

  it("salts: the same password hashes differently each time, and both verify", async () => {
    const a = await hashPassword("密码123456", 1000);
    const b = await hashPassword("密码123456", 1000);
    expect(a).not.toBe(b);
    await expect(verifyPassword("密码123456", a)).resolves.toBe(true);
    await expect(verifyPassword("密码123456", b)).resolves.toBe(true);
  });

  it("matches the published PBKDF2-HMAC-SHA256 test vector (RFC 7914 §11)", async () => {
    // P = "passwd", S = "salt", c = 1: the first 32 bytes of the 64-byte output.
    const hash = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc";
    const bytes = Uint8Array.from(hash.match(/../g)!, (h) => Number.parseInt(h, 16));
    const stored = `pbkdf2-sha256$1$${toBase64(new TextEncoder().encode("salt"))}$${toBase64(bytes)}`;
    await expect(verifyPassword("passwd", stored)).resolves.toBe(true);
    await expect(verifyPassword("passwd!", stored)).resolves.toBe(false);
  });

  it("uses the iteration count that is stored", async () => {
    const stored = await hashPassword("secret", 1000);
    expect(stored.startsWith("pbkdf2-sha256$1000$")).toBe(true);
    await expect(verifyPassword("secret", stored.replace("$1000$", "$1001$"))).resolves.toBe(false);
  });

  it.each([
    ["another scheme", (s: string) => s.replace("pbkdf2-sha256", "bcrypt")],
    ["a missing hash", (s: string) => s.split("$").slice(0, 3).join("$")],
    ["a truncated hash", (s: string) => s.slice(0, -8)],
    ["an empty string", () => ""],
    ["an iteration count that is not a number", (s: string) => s.replace("$1000$", "$many$")],
    ["an iteration count of 0", (s: string) => s.replace("$1000$", "$0$")],
    ["an iteration count above what Workers run", (s: string) => s.replace("$1000$", "$100000000$")],
    ["a fractional iteration count", (s: string) => s.replace("$1000$", "$1000.5$")],
    ["a salt that is not base64", (s: string) => s.replace(/\$[^$]+\$([^$]+)$/, "$$!!!$$$1")],
    ["a hash that is not base64", (s: string) => `${s.slice(0, s.lastIndexOf("$"))}$#####`],
  ])("answers false for %s", async (_, spoil) => {
    const stored = await hashPassword("secret", 1000);
    await expect(verifyPassword("secret", spoil(stored))).resolves.toBe(false);
  });
});

describe("randomSecret", () => {
  it("is url-safe base64 of the requested length, and never repeats", () => {
    const a = randomSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 bytes = 32 characters
    expect(randomSecret(16)).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 bytes = 22 characters, padding cut
    expect(new Set(Array.from({ length: 1000 }, () => randomSecret())).size).toBe(1000);
  });
});
