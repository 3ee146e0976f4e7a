import { beforeAll, describe, expect, it } from "vitest";
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { upsertForm } from "../../schema/queries/forms.ts";
import { adminGet, call, db, devEnv, seedDept, seedPasswordUser, signIn } from "../../test/helpers.ts";
import { assertWellFormedXml, decodePng } from "../../test/image-checks.ts";
import { embedCodes } from "./forms.pages.tsx";
import { qrMatrix } from "./qr-code.ts";

const PW = "forms page passphrase";
// A name that must be escaped in HTML and in XML.
const DEPT_NAME = `海报测试局 <&"甲">`;

const unescapeHtml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

describe("GET /admin/forms", () => {
  let s: { cookie: string; csrf: string };

  beforeAll(async () => {
    const dept = await seedDept("poster-esc", DEPT_NAME);
    await seedPasswordUser(dept, "viewer@forms.gov.cn", PW, "viewer");
    s = await signIn("viewer@forms.gov.cn", PW);
    // A form only the other department has.
    const other = await seedDept("forms-other", "另一个局");
    await upsertForm(db(), other, opinionBox("forms-other", "other-only"));
  });

  it("lists the department's forms with their status and the four embed codes", async () => {
    const res = await adminGet("/admin/forms", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain("意见箱");
    expect(html).toContain("满意度测评");
    expect(html).toContain("政府信息公开申请");
    expect(html).toMatch(/意见箱 <span class="tag">开放<\/span>/);
    expect(html).toMatch(/满意度测评 <span class="tag">即将开放<\/span>/);
    // The opinion box first, then the questionnaire, then the disclosure request.
    const at = (s: string) => html.indexOf(`<h2 id="form-${s}"`);
    expect(at("opinion")).toBeGreaterThan(-1);
    expect(at("opinion")).toBeLessThan(at("satisfaction"));
    expect(at("satisfaction")).toBeLessThan(at("disclosure"));
    const text = unescapeHtml(html);
    for (const e of embedCodes("http://localhost", "poster-esc", "opinion", "意见箱")) {
      expect(text).toContain(e.code);
    }
    expect(text).toContain(
      '<script src="http://localhost/embed.js" data-huiyin-form="poster-esc/opinion" async></script>',
    );
    expect(text).toContain('<div data-huiyin-form="poster-esc/opinion"></div>');
    expect(text).toContain('data-huiyin-mode="button"');
    expect(text).toContain(
      'data-huiyin-form="poster-esc/opinion" data-huiyin-mode="button" data-huiyin-label="我要留言"',
    );
    expect(text).toContain(
      'data-huiyin-form="poster-esc/satisfaction" data-huiyin-mode="button" data-huiyin-label="参与评价"',
    );
    expect(text).toContain('<iframe src="http://localhost/w/poster-esc/opinion"');
    expect(html).toContain('href="http://localhost/w/poster-esc/opinion"');
    expect(html).toContain('src="/admin/forms/opinion/qr.png"');
    expect(html).toContain('href="/admin/forms/opinion/poster.svg"');
    expect(html).not.toContain("other-only");
    // Escaped in the page (the department switcher shows the name).
    expect(html).not.toContain(DEPT_NAME);
    // No script and no inline style on an admin page.
    expect(html).not.toMatch(/<script|style="/);
  });

  it("prints codes with PUBLIC_ORIGIN when the deployment sits behind another address", async () => {
    const e = { ...devEnv(), PUBLIC_ORIGIN: "https://huiyin.example.gov.cn" };
    const html = unescapeHtml(await (await adminGet("/admin/forms", s, e)).text());
    expect(html).toContain(
      '<script src="https://huiyin.example.gov.cn/embed.js" data-huiyin-form="poster-esc/opinion" async></script>',
    );
    const svg = await (await adminGet("/admin/forms/opinion/poster.svg", s, e)).text();
    expect(svg).toContain("https://huiyin.example.gov.cn/w/poster-esc/opinion");
  });

  it("serves an A4 SVG poster: well-formed, department and address escaped, the instruction", async () => {
    const res = await adminGet("/admin/forms/opinion/poster.svg", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const svg = await res.text();
    assertWellFormedXml(svg);
    expect(svg).toMatch(/width="210mm" height="297mm" viewBox="0 0 210 297"/);
    expect(svg).toContain("海报测试局 &lt;&amp;&quot;甲&quot;&gt;");
    expect(svg).not.toContain(DEPT_NAME);
    expect(svg).toContain(">http://localhost/w/poster-esc/opinion</text>");
    expect(svg).toContain("http://localhost/t");
    expect(svg).toContain("扫码留言");
    expect(svg).toContain("查询办理进度");
    expect(svg).toContain(">意见箱</text>");
    expect(svg).not.toMatch(/<script|<style|style=|href=/);
  });

  it("serves the QR code as a crisp PNG: 8 px a module, 4 modules of quiet zone", async () => {
    const res = await adminGet("/admin/forms/opinion/qr.png", s);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const img = await decodePng(new Uint8Array(await res.arrayBuffer()));
    const m = qrMatrix("http://localhost/w/poster-esc/opinion");
    expect(m.length).toBe(29);
    expect(img.width).toBe((29 + 8) * 8);
    expect(img.height).toBe((29 + 8) * 8);
    expect(img.rawLength).toBe(img.height * (1 + Math.ceil(img.width / 8)));
    for (let r = 0; r < m.length; r++) {
      for (let c = 0; c < m.length; c++) {
        expect(img.rows[(r + 4) * 8 + 4]![(c + 4) * 8 + 4]).toBe(m[r]![c]);
      }
    }
  });

  it("answers 404 for a form the department does not have, even when another department does", async () => {
    for (const path of ["/admin/forms/other-only/qr.png", "/admin/forms/nope/poster.svg"]) {
      const res = await adminGet(path, s);
      expect(res.status).toBe(404);
      // A staff error page refuses framing like every staff page (old browsers ignore the CSP).
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await res.text()).not.toContain("另一个局");
    }
  });

  it("sends a signed-out visitor to the sign-in page", async () => {
    for (const path of ["/admin/forms", "/admin/forms/opinion/qr.png", "/admin/forms/opinion/poster.svg"]) {
      const res = await call(path, { redirect: "manual" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/admin\/login\?next=/);
    }
  });
});
