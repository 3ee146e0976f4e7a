/**
 * Checks of generated images without a browser: PNG chunks (with their CRC) and pixels decoded
 * through DecompressionStream, and a strict well-formedness check of small XML documents (SVG).
 */
import { expect } from "vitest";
import { crc32, PNG_SIGNATURE } from "../functions/admin/qr-code.ts";

/** The chunks of a PNG, each CRC checked. */
export function pngChunks(png: Uint8Array): { type: string; data: Uint8Array }[] {
  expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; data: Uint8Array }[] = [];
  let at = 8;
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    expect(view.getUint32(at + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    out.push({ type, data });
    at += 12 + len;
  }
  expect(at).toBe(png.length);
  return out;
}

/** Decodes a 1-bit grayscale, non-interlaced PNG into rows of booleans (true = black). */
export async function decodePng(png: Uint8Array) {
  const chunks = pngChunks(png);
  expect(chunks[0]!.type).toBe("IHDR");
  expect(chunks.at(-1)!.type).toBe("IEND");
  const ihdr = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset, 13);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  expect([...chunks[0]!.data.subarray(8)]).toEqual([1, 0, 0, 0, 0]);
  const idat = chunks.filter((c) => c.type === "IDAT").map((c) => c.data);
  const stream = new Blob(idat).stream().pipeThrough(new DecompressionStream("deflate"));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  const stride = 1 + Math.ceil(width / 8);
  const rows: boolean[][] = [];
  for (let y = 0; y < height; y++) {
    expect(raw[y * stride], "filter type None").toBe(0);
    const row: boolean[] = [];
    for (let x = 0; x < width; x++) row.push((raw[y * stride + 1 + (x >> 3)]! & (0x80 >> (x & 7))) === 0);
    rows.push(row);
  }
  return { width, height, rawLength: raw.length, stride, rows };
}
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkChars(s: string, where: string) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "<") throw new Error(`raw < in ${where}`);
    if (s[i] === "&" && !ENTITY.test(s.slice(i)))
      throw new Error(`bare & in ${where}: ${s.slice(i, i + 12)}`);
  }
}

/**
 * Throws unless `xml` is a well-formed document: an optional declaration, one root element,
 * balanced tags, quoted and unique attributes, entities only from XML's five or numeric. Enough
 * for documents we generate (no comments, CDATA or doctype).
 */
export function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml version="1\.0"( encoding="UTF-8")?\?>/, "");
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(/<[^>]*>|[^<]+/g)) {
    const tok = m[0];
    if (!tok.startsWith("<")) {
      if (!stack.length && tok.trim()) throw new Error(`text outside the root: ${tok.slice(0, 20)}`);
      checkChars(tok, "text");
      continue;
    }
    const tag = /^<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"]*")*)\s*(\/?)>$/.exec(tok);
    if (!tag) throw new Error(`malformed tag: ${tok.slice(0, 60)}`);
    const [, close, name, attrs, selfClose] = tag;
    const seen = new Set<string>();
    for (const a of attrs!.matchAll(/([A-Za-z_][\w:.-]*)="([^"]*)"/g)) {
      if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      seen.add(a[1]!);
      checkChars(a[2]!, `attribute ${a[1]}`);
    }
    if (close) {
      if (attrs || selfClose) throw new Error(`malformed end tag ${tok}`);
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else {
      if (!stack.length && ++roots > 1) throw new Error("more than one root element");
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.at(-1)}>`);
  if (roots !== 1) throw new Error("no root element");
}
