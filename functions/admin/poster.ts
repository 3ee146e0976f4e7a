/**
 * The service-hall poster (A4 portrait, SVG): department, form title, the QR code of the widget,
 * its address in text for people who type it, and how to follow a case up. Vector, so it prints
 * sharp at any size; presentation attributes only (no <style>), because the response's CSP
 * (`default-src 'none'`) would block a stylesheet when the file is opened from our origin.
 */
import { type QrMatrix, QUIET_ZONE } from "./qr-code.ts";

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!,
  );
}

const FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif";
const MONO = "'DejaVu Sans Mono',Menlo,Consolas,monospace";

/** A guess at the width in em (no font metrics in a Worker): CJK is square, Latin about 0.6 em. */
function widthEm(s: string): number {
  let w = 0;
  for (const ch of s) w += ch.codePointAt(0)! > 0x2e7f ? 1 : 0.6;
  return w;
}

/** The font size (mm) that fits `s` into `width` mm, at most `max`. */
function fitSize(s: string, width: number, max: number): number {
  const em = widthEm(s);
  return Math.round(Math.min(max, em ? width / em : max) * 100) / 100;
}

function text(x: number, y: number, size: number, s: string, extra = ""): string {
  return `<text x="${x}" y="${y}" font-size="${size}" text-anchor="middle"${extra}>${escapeXml(s)}</text>`;
}

/** Dark modules as one path, runs of a row merged (fewer nodes, no seams between modules). */
export function qrPath(m: QrMatrix): string {
  const parts: string[] = [];
  m.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let len = 1;
      while (row[x + len]) len++;
      parts.push(`M${x} ${y}h${len}v1h-${len}z`);
      x += len - 1;
    }
  });
  return parts.join("");
}

export interface PosterInput {
  deptName: string;
  formTitle: string;
  /** The widget's address, which the QR code holds. */
  url: string;
  /** Where a citizen checks progress with the tracking code. */
  trackUrl: string;
  matrix: QrMatrix;
}

/**
 * The poster as an SVG document, 210 × 297 mm, user units = millimetres.
 * @example posterSvg({ deptName: "演示区卫生健康局", formTitle: "意见箱", url, trackUrl, matrix: qrMatrix(url) })
 */
export function posterSvg(p: PosterInput): string {
  const W = 210;
  const qrSide = 120;
  const qrX = (W - qrSide) / 2;
  const qrY = 82;
  const unit = qrSide / (p.matrix.length + 2 * QUIET_ZONE);
  const inner = 170; // text column width (20 mm margins)
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" font-family="${FONT}" role="img" aria-labelledby="poster-title">`,
    `<title id="poster-title">${escapeXml(`${p.deptName} · ${p.formTitle} · 扫码留言`)}</title>`,
    `<rect width="210" height="297" fill="#ffffff"/>`,
    `<rect width="210" height="40" fill="#0d2c4f"/>`,
    text(W / 2, 25, fitSize(p.deptName, inner, 11), p.deptName, ` fill="#ffffff" font-weight="700"`),
    text(W / 2, 60, fitSize(p.formTitle, inner, 16), p.formTitle, ` fill="#1b1f24" font-weight="700"`),
    text(W / 2, 74, 8, "扫码留言 / 查询办理进度", ` fill="#0b57a4" font-weight="700"`),
    `<rect x="${qrX}" y="${qrY}" width="${qrSide}" height="${qrSide}" fill="#ffffff" stroke="#c9ced6" stroke-width="0.3"/>`,
    `<path fill="#000000" shape-rendering="crispEdges" transform="translate(${qrX + QUIET_ZONE * unit} ${qrY + QUIET_ZONE * unit}) scale(${unit})" d="${qrPath(p.matrix)}"/>`,
    text(W / 2, 216, fitSize(p.url, inner, 5.5), p.url, ` fill="#1b1f24" font-family="${MONO}"`),
    text(W / 2, 234, 6, "用手机扫描上方二维码，即可写下您的意见和建议，", ` fill="#1b1f24"`),
    text(W / 2, 243, 6, "提交后会得到一个查询码，凭查询码可随时查询办理进度：", ` fill="#1b1f24"`),
    text(W / 2, 253, fitSize(p.trackUrl, inner, 5.5), p.trackUrl, ` fill="#1b1f24" font-family="${MONO}"`),
    text(W / 2, 284, 4, "可匿名留言 · 个人信息依法保护", ` fill="#4d5661"`),
    `</svg>`,
    "",
  ].join("\n");
}
