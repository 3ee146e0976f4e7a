/**
 * QR codes for the service-hall poster: the module matrix (qrcode-generator, pure JavaScript, no
 * canvas) and a PNG written by hand (zlib through CompressionStream, CRC-32, 1-bit grayscale), so
 * nothing here needs Node or a rasterizer. The PNG carries the QR code only: a Worker has no font
 * rasterizer, so the poster with its text is the SVG (poster.ts).
 */
import qrcode from "qrcode-generator";

/** A square matrix of modules, `true` = dark, row-major (`m[row][col]`). */
export type QrMatrix = boolean[][];

/** Quiet zone around the symbol, in modules (ISO/IEC 18004 §6.3.8 asks for 4). */
export const QUIET_ZONE = 4;
/** Pixels per module in the PNG: crisp when printed and still small. */
export const PNG_SCALE = 8;

/**
 * The module matrix of `text`, at the smallest version that holds it, error correction level M
 * (15 %: a poster behind glass, a little glare). Only ASCII: the library's byte mode takes one byte
 * per UTF-16 unit, so a URL must come already percent-encoded (`new URL(...).href` is).
 * @example qrMatrix("https://huiyin.example/w/demo/opinion").length // 29 (version 3)
 */
export function qrMatrix(text: string): QrMatrix {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError("qrMatrix takes printable ASCII only");
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, the one PNG chunks use). @example crc32(new TextEncoder().encode("IEND")) // 0xae426082 */
export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  let c = crc;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function zlib(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  // "deflate" in the Compression Streams standard is the zlib format (RFC 1950), what IDAT holds.
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A 1-bit grayscale PNG of the matrix: `scale` pixels a module and a quiet zone of `quiet`
 * modules, so the image is `(modules + 2 × quiet) × scale` pixels square.
 * @example const png = await qrPng(qrMatrix("https://huiyin.example/w/demo/opinion"));
 */
export async function qrPng(
  m: QrMatrix,
  scale = PNG_SCALE,
  quiet = QUIET_ZONE,
): Promise<Uint8Array<ArrayBuffer>> {
  const size = (m.length + 2 * quiet) * scale;
  const stride = 1 + Math.ceil(size / 8); // filter byte 0 (None), then 8 pixels a byte
  const raw = new Uint8Array(stride * size).fill(0xff); // 1 = white in 1-bit grayscale
  for (let y = 0; y < size; y++) {
    raw[y * stride] = 0;
    const row = m[Math.floor(y / scale) - quiet];
    if (!row) continue;
    for (let x = 0; x < size; x++) {
      if (!row[Math.floor(x / scale) - quiet]) continue;
      const i = y * stride + 1 + (x >> 3);
      raw[i] = raw[i]! & ~(0x80 >> (x & 7));
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, size);
  v.setUint32(4, size);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, colour type 0 (grayscale), deflate, filter 0, no interlace
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", await zlib(raw)),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
