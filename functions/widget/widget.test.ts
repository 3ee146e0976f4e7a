import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { type Lang, t } from "../../forms/language.ts";
import { call, countRows, seedDept } from "../../test/helpers.ts";
import type { Env } from "../lib/env.ts";

const FORM = "/w/demo/opinion";
const DEF = opinionBox("demo");
const TRACKING_CODE = /^[2-9A-HJ-NP-Z]{12}$/;
const GROUPED_CODE = /[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/;
const BUDGET_BYTES = 12 * 1024;

/** Production posture: proof-of-work bot check and rate limit on, whatever .dev.vars says. */
const productionEnv = (): Env => ({
  ...env,
  ENVIRONMENT: "production",
  BOT_CHECK: "altcha",
  RATE_LIMIT: "on",
});

// ---------------------------------------------------------------------------------------------
// A small element index built with workerd's own HTML parser (HTMLRewriter).

interface Node {
  tag: string;
  attrs: Map<string, string>;
  /** Raw (still entity-encoded) text of the element and its descendants. */
  text: string;
  ancestors: Node[];
}

const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "wbr",
]);

async function parse(html: string): Promise<Node[]> {
  const all: Node[] = [];
  const stack: Node[] = [];
  const rewriter = new HTMLRewriter()
    .on("*", {
      element(e) {
        const node: Node = {
          tag: e.tagName,
          attrs: new Map(e.attributes as Iterable<[string, string]>),
          text: "",
          ancestors: [...stack],
        };
        all.push(node);
        if (!VOID.has(e.tagName)) {
          stack.push(node);
          e.onEndTag(() => {
            stack.pop();
          });
        }
      },
    })
    .onDocument({
      text(chunk) {
        for (const n of stack) n.text += chunk.text;
      },
    });
  await rewriter.transform(new Response(html)).text();
  return all;
}

const byId = (nodes: Node[], id: string) => nodes.find((n) => n.attrs.get("id") === id);
const decode = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

async function page(path: string, init: RequestInit = {}, e?: Env) {
  const res = await call(path, init, e);
  const html = await res.text();
  return { res, html, nodes: await parse(html) };
}

function postForm(path: string, fields: [string, string][], e?: Env, headers: Record<string, string> = {}) {
  return call(
    path,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    e,
  );
}

/** The hidden fields a browser would send back with the rendered form. */
function hiddenFields(nodes: Node[]): [string, string][] {
  return nodes
    .filter((n) => n.tag === "input" && n.attrs.get("type") === "hidden")
    .map((n) => [n.attrs.get("name")!, decode(n.attrs.get("value") ?? "")]);
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

function cspDirectives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** The inline <script> and <style> blocks exactly as they are in the page. */
function inlineBlocks(html: string, tag: "script" | "style"): { attrs: string; body: string }[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => ({
    attrs: m[1]!,
    body: m[2]!,
  }));
}

async function assertCspMatchesInlineParts(res: Response, html: string) {
  const csp = cspDirectives(res.headers.get("content-security-policy") ?? "");
  const scripts = inlineBlocks(html, "script");
  const styles = inlineBlocks(html, "style");
  for (const s of [...scripts, ...styles]) expect(s.attrs.trim(), "no external script or style").toBe("");
  const scriptHashes = await Promise.all(scripts.map(async (s) => `'sha256-${await sha256Base64(s.body)}'`));
  const styleHashes = await Promise.all(styles.map(async (s) => `'sha256-${await sha256Base64(s.body)}'`));
  expect([...(csp.get("script-src") ?? [])].sort()).toEqual(
    scriptHashes.length ? scriptHashes.sort() : ["'none'"],
  );
  expect([...(csp.get("style-src") ?? [])].sort()).toEqual(styleHashes.sort());
  // A hash-only CSP blocks inline style and event-handler attributes; the page must not rely on any.
  for (const n of await parse(html)) {
    for (const name of n.attrs.keys()) expect(name, `<${n.tag} ${name}>`).not.toMatch(/^(style|on[a-z]+)$/);
  }
  return { csp, scripts, styles };
}

/** The page without its inline script (which carries the widget's messages). */
const withoutScripts = (html: string) => html.replace(/<script>[\s\S]*?<\/script>/g, "");

/** Every absolute or protocol-relative URL in the page must be our own origin. */
function foreignOrigins(html: string, own = "http://localhost"): string[] {
  const urls = [
    ...[...html.matchAll(/https?:\/\/[^\s"'<>)]+/gi)].map((m) => m[0]),
    ...[...html.matchAll(/(?:src|href|action)=["']?(\/\/[^\s"'<>]+)/gi)].map((m) => `http:${m[1]}`),
  ];
  return urls.filter((u) => new URL(u).origin !== own);
}

async function gzipSize(body: string | ArrayBuffer): Promise<number> {
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

function controlsOf(nodes: Node[], questionId: string): Node[] {
  const block = nodes.find((n) => n.tag === "div" && n.attrs.get("data-q") === questionId);
  if (!block) return [];
  return nodes.filter((n) => (n.tag === "input" || n.tag === "textarea") && n.ancestors.includes(block));
}

beforeAll(async () => {
  await seedDept();
});

// ---------------------------------------------------------------------------------------------

describe("GET /w/:dept/:form", () => {
  it("renders every question of the opinion box server-side, each control with its label", async () => {
    const { res, html, nodes } = await page(FORM);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const form = nodes.find((n) => n.tag === "form")!;
    expect(form.attrs.get("method")).toBe("post");
    expect(form.attrs.get("action")).toBe(FORM);

    for (const q of DEF.questions) {
      const controls = controlsOf(nodes, q.id);
      expect(controls.length, q.id).toBeGreaterThan(0);
      for (const c of controls) expect(c.attrs.get("name"), q.id).toBe(q.id);
      expect(html, q.id).toContain(t(q.label, "zh-CN"));
      if (q.type === "single") {
        // Options: each radio sits inside its own <label> with the option's text.
        expect(controls.map((c) => c.attrs.get("value"))).toEqual(q.options!.map((o) => o.value));
        for (const [i, c] of controls.entries()) {
          const label = c.ancestors.findLast((a) => a.tag === "label");
          expect(label?.text).toContain(t(q.options![i]!.label, "zh-CN"));
        }
        const legend = nodes.find(
          (n) => n.tag === "legend" && n.ancestors.some((a) => a.attrs.get("data-q") === q.id),
        );
        expect(legend?.text).toContain(t(q.label, "zh-CN"));
      }
    }

    // A text field's label names it once and says once whether it is required.
    for (const label of nodes.filter((n) => n.tag === "label" && n.attrs.has("for"))) {
      const marks = label.text.match(/（(必填|选填)）/g) ?? [];
      expect(marks.length, label.text).toBe(1);
    }

    // Every visible control has an accessible label: <label for=id> or a wrapping <label>.
    const labelFor = new Set(nodes.filter((n) => n.tag === "label").map((n) => n.attrs.get("for")));
    for (const c of nodes.filter((n) => ["input", "textarea", "select"].includes(n.tag))) {
      if (c.attrs.get("type") === "hidden") continue;
      const id = c.attrs.get("id");
      const labelled = (id && labelFor.has(id)) || c.ancestors.some((a) => a.tag === "label");
      expect(labelled, `control ${c.attrs.get("name")} has a label`).toBe(true);
    }
    // …and every label[for] points at a control that exists.
    for (const id of labelFor) if (id) expect(["input", "textarea"]).toContain(byId(nodes, id)?.tag);
    // Every aria-describedby target exists.
    for (const n of nodes) {
      for (const id of (n.attrs.get("aria-describedby") ?? "").split(" ").filter(Boolean)) {
        expect(byId(nodes, id), `#${id}`).toBeDefined();
      }
    }
  });

  it("shows the privacy notice and carries hidden _idempotency and _lang fields", async () => {
    const first = await page(FORM);
    expect(first.html).toContain(t(DEF.privacyNotice!, "zh-CN"));
    const hidden = new Map(hiddenFields(first.nodes));
    expect(hidden.get("_idempotency")).toMatch(/^[0-9a-f-]{36}$/);
    expect(hidden.get("_lang")).toBe("zh-CN");
    // Local development: the bot check is off, so there is no signed no-JS token.
    expect(hidden.has("_t")).toBe(false);
    const second = new Map(hiddenFields((await page(FORM)).nodes));
    expect(second.get("_idempotency")).not.toBe(hidden.get("_idempotency"));
  });

  it("carries the signed no-JavaScript token when the bot check is on", async () => {
    const { nodes } = await page(FORM, {}, productionEnv());
    const hidden = new Map(hiddenFields(nodes));
    expect(hidden.get("_t")).toMatch(/^nojs\.\d+\.[0-9a-f-]{36}\.[0-9a-f]{64}$/);
    expect(nodes.find((n) => n.tag === "form")?.attrs.get("data-bot")).toBe("altcha");
  });

  it("sends a CSP whose script-src and style-src are exactly the hashes of the inline script and style", async () => {
    const { res, html } = await page(FORM);
    const { csp, scripts, styles } = await assertCspMatchesInlineParts(res, html);
    expect(scripts.length).toBe(1);
    expect(styles.length).toBe(1);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["http://localhost:*", "http://127.0.0.1:*"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
  });

  it("inlines the script of the page's language only, each listed by its own hash", async () => {
    for (const [path, own, other, count] of [
      [FORM, "正在提交", "Sending", "已输入 0 / 5000 字"],
      [`${FORM}?lang=en`, "Sending", "正在提交", "0 / 5000 characters"],
    ] as const) {
      const { res, html } = await page(path);
      const { scripts } = await assertCspMatchesInlineParts(res, html);
      expect(scripts[0]!.body).toContain(own);
      expect(scripts[0]!.body).not.toContain(other);
      // The character counter arrives filled: the script writes nothing before the first paint.
      expect(html).toMatch(new RegExp(`data-count-for="q-body"[^>]*>${count}</p>`));
    }
  });

  it("loads nothing from a third-party origin, with the bot check off or on", async () => {
    for (const e of [undefined, productionEnv()]) {
      const { res, html } = await page(FORM, {}, e);
      expect(foreignOrigins(html)).toEqual([]);
      const csp = cspDirectives(res.headers.get("content-security-policy")!);
      for (const [name, sources] of csp) {
        if (name === "frame-ancestors") continue; // the department's own sites, not loaded by us
        for (const s of sources) expect(s, `${name} ${s}`).not.toMatch(/^(https?:)?\/\/|^\*$|^https?:$/);
      }
    }
  });

  it("speaks English with ?lang=en or Accept-Language: en-US, and Chinese by default", async () => {
    const zh = await page(FORM);
    expect(zh.html).toContain('<html lang="zh-CN"');
    expect(zh.html).toContain("意见箱");
    expect(zh.html).toContain(t(DEF.privacyNotice!, "zh-CN"));

    for (const [path, headers] of [
      [`${FORM}?lang=en`, {}],
      [FORM, { "accept-language": "en-US,en;q=0.9" }],
    ] as const) {
      const en = await page(path, { headers });
      expect(en.html).toContain('<html lang="en"');
      expect(en.html).toContain("Opinion box");
      expect(en.html).toContain(t(DEF.privacyNotice!, "en"));
      for (const q of DEF.questions) expect(en.html).toContain(t(q.label, "en"));
      for (const label of en.nodes.filter((n) => n.tag === "label" && n.attrs.has("for"))) {
        expect(label.text, label.text).toMatch(/^[^（]+ \((required|optional)\)$/);
      }
      expect(new Map(hiddenFields(en.nodes)).get("_lang")).toBe("en");
      // The no-JS post keeps the language.
      expect(en.nodes.find((n) => n.tag === "form")?.attrs.get("action")).toBe(`${FORM}?lang=en`);
      expect(en.html).not.toContain("意见箱");
    }
    // An explicit ?lang wins over the browser's language.
    const forced = await page(`${FORM}?lang=zh-CN`, { headers: { "accept-language": "en-US" } });
    expect(forced.html).toContain('<html lang="zh-CN"');
  });

  it("renders the large-text mode with ?large=1", async () => {
    const { html } = await page(`${FORM}?large=1`);
    expect(html).toMatch(/<html lang="zh-CN" class="large">/);
    const normal = await page(FORM);
    expect(normal.html).not.toContain('class="large"');
  });

  it("shows a coming-soon notice and no form for the satisfaction and disclosure forms", async () => {
    for (const slug of ["satisfaction", "disclosure"]) {
      const zh = await page(`/w/demo/${slug}`);
      expect(zh.res.status).toBe(200);
      expect(zh.html).toContain("该功能即将开放");
      expect(zh.nodes.some((n) => n.tag === "form" || n.tag === "input" || n.tag === "textarea")).toBe(false);
      expect(zh.nodes.some((n) => n.tag === "script")).toBe(false);
      await assertCspMatchesInlineParts(zh.res, zh.html);
      const en = await page(`/w/demo/${slug}?lang=en`);
      expect(en.html).toContain("This form opens soon.");
    }
  });

  it("answers 404 for an unknown department or form with a page in the citizen's language, not JSON", async () => {
    for (const path of ["/w/nowhere/opinion", "/w/demo/nothing"]) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(await res.text()).toContain("找不到该页面");
    }
    const en = await call("/w/demo/nothing?lang=en");
    expect(await en.text()).toContain("No such form");
  });

  it("stores only a language it knows from the no-JavaScript form's _lang field", async () => {
    const res = await call("/w/demo/opinion", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _idempotency: crypto.randomUUID(),
        _lang: "<script>fr",
        kind: "suggest",
        subject: "语言字段",
        body: "语言字段的取值应受限制。",
      }).toString(),
    });
    expect(res.status).toBe(201);
    const row = await env.DB.prepare("SELECT lang FROM cases WHERE subject = '语言字段'").first<{
      lang: string;
    }>();
    expect(row?.lang).toBe("zh-CN");
  });
});

// ---------------------------------------------------------------------------------------------

describe("POST /w/:dept/:form (the no-JavaScript path)", () => {
  const answers = (over: Record<string, string> = {}): [string, string][] =>
    Object.entries({
      kind: "complain",
      subject: "社区医院挂号排队太久",
      body: "周一上午在社区卫生服务中心挂号排了一个多小时，希望增加窗口。",
      name: "李四",
      contact: "139 0013 9000",
      publish: "on",
      ...over,
    });

  it("stores the case and answers 201 with a receipt page showing the grouped tracking code", async () => {
    const form = await page(FORM);
    const before = await countRows("cases");
    const res = await postForm(FORM, [...hiddenFields(form.nodes), ...answers()]);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    const grouped = html.match(GROUPED_CODE)?.[0];
    expect(grouped).toBeDefined();
    const code = grouped!.replace(/-/g, "");
    expect(code).toMatch(TRACKING_CODE);
    expect(html).toContain(`href="/t/${code}"`);
    expect(html).toContain("提交成功");
    await assertCspMatchesInlineParts(res, html);
    expect(cspDirectives(res.headers.get("content-security-policy")!).get("frame-ancestors")).toEqual([
      "http://localhost:*",
      "http://127.0.0.1:*",
    ]);

    expect(await countRows("cases")).toBe(before + 1);
    const row = await env.DB.prepare(
      "SELECT category, subject, body, consent_publish, personal_enc, lang FROM cases WHERE tracking_code = ?",
    )
      .bind(code)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({
      category: "complain",
      subject: "社区医院挂号排队太久",
      consent_publish: 1,
      lang: "zh-CN",
    });
    // Personal data is stored encrypted, never as plain text.
    expect(String(row?.personal_enc)).not.toContain("李四");
    expect(String(row?.personal_enc)).not.toContain("13900139000");
  });

  it("answers in English when the form was English", async () => {
    const form = await page(`${FORM}?lang=en`);
    const res = await postForm(`${FORM}?lang=en`, [...hiddenFields(form.nodes), ...answers()]);
    expect(res.status).toBe(201);
    const html = await res.text();
    expect(html).toContain('<html lang="en"');
    expect(html).toContain("Your tracking code");
    const code = html.match(GROUPED_CODE)![0].replace(/-/g, "");
    expect(html).toContain(`href="/t/${code}?lang=en"`);
  });

  it("gives the same tracking code when the same form is posted twice", async () => {
    const form = await page(FORM);
    const fields = [...hiddenFields(form.nodes), ...answers({ subject: "重复提交测试" })];
    const before = await countRows("cases");
    const first = await (await postForm(FORM, fields)).text();
    const again = await postForm(FORM, fields);
    expect(again.status).toBe(201);
    const second = await again.text();
    const code = first.match(GROUPED_CODE)![0];
    expect(second.match(GROUPED_CODE)![0]).toBe(code);
    expect(await countRows("cases")).toBe(before + 1);
  });

  it("re-renders the form with the entered values, escaped, and errors tied to their fields", async () => {
    const xss = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`;
    const form = await page(FORM);
    const before = await countRows("cases");
    const res = await postForm(FORM, [
      ...hiddenFields(form.nodes),
      ["subject", xss],
      ["body", `正文 ${xss} </textarea><b>bold</b>`],
      ["contact", "not-a-phone"],
    ]);
    expect(res.status).toBe(400);
    const html = await res.text();
    const nodes = await parse(html);
    expect(await countRows("cases")).toBe(before);

    // Escaped: no new element or inline handler came from the citizen's text.
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>bold");
    expect(nodes.filter((n) => n.tag === "script").length).toBe(1);
    expect(nodes.some((n) => n.tag === "img" || n.tag === "b")).toBe(false);
    await assertCspMatchesInlineParts(res, html);

    // The values come back.
    expect(decode(byId(nodes, "q-subject")!.attrs.get("value")!)).toBe(xss);
    expect(decode(byId(nodes, "q-body")!.text)).toBe(`正文 ${xss} </textarea><b>bold</b>`);
    expect(decode(byId(nodes, "q-contact")!.attrs.get("value")!)).toBe("not-a-phone");

    // Errors: the kind (required) and the contact (malformed), in the page's language.
    const expectError = (control: Node, errId: string, message: string) => {
      expect(control.attrs.get("aria-invalid")).toBe("true");
      expect(control.attrs.get("aria-describedby")?.split(" ")).toContain(errId);
      const err = byId(nodes, errId)!;
      expect(err.attrs.has("hidden")).toBe(false);
      expect(err.text).toBe(message);
    };
    const kindFieldset = nodes.find(
      (n) => n.tag === "fieldset" && n.ancestors.some((a) => a.attrs.get("data-q") === "kind"),
    )!;
    expectError(kindFieldset, "q-kind-err", "此项为必填项");
    expectError(byId(nodes, "q-contact")!, "q-contact-err", "请填写正确的手机号码或电子邮箱");
    // Fields without a problem are not marked.
    expect(byId(nodes, "q-subject")!.attrs.has("aria-invalid")).toBe(false);
    expect(byId(nodes, "q-subject-err")!.attrs.has("hidden")).toBe(true);
    expect(byId(nodes, "hy-summary")!.attrs.has("hidden")).toBe(false);
    expect(withoutScripts(html)).not.toContain("This field is required");
  });

  it("shows the errors in English on an English page", async () => {
    const form = await page(`${FORM}?lang=en`);
    const res = await postForm(`${FORM}?lang=en`, [
      ...hiddenFields(form.nodes),
      ["kind", "suggest"],
      ["body", "Longer opening hours, please."],
    ]);
    expect(res.status).toBe(400);
    const html = await res.text();
    const nodes = await parse(html);
    expect(byId(nodes, "q-subject")!.attrs.get("aria-invalid")).toBe("true");
    expect(byId(nodes, "q-subject-err")!.text).toBe("This field is required");
    expect(withoutScripts(html)).not.toContain("此项为必填项");
    // The chosen option stays chosen.
    const suggest = nodes.find((n) => n.attrs.get("name") === "kind" && n.attrs.get("value") === "suggest")!;
    expect(suggest.attrs.has("checked")).toBe(true);
  });

  it("refuses a post without the signed form token when the bot check is on", async () => {
    const before = await countRows("cases");
    const res = await postForm(
      FORM,
      [["_idempotency", crypto.randomUUID()], ["_lang", "zh-CN"], ...answers()],
      productionEnv(),
    );
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain("人机验证未通过");
    expect(html).toContain(`href="${FORM}?lang=zh-CN"`);
    expect(await countRows("cases")).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe("GET /embed.js", () => {
  it("serves JavaScript with caching headers and an ETag", async () => {
    const res = await call("/embed.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toMatch(/public, max-age=\d+/);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
    const js = await res.text();
    expect(js).toContain("data-huiyin-form");
    expect(js).toContain("/w/");
    expect(foreignOrigins(js)).toEqual([]);
  });

  it("answers 304 to If-None-Match with the current ETag, also in its weak form", async () => {
    const etag = (await call("/embed.js")).headers.get("etag")!;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await call("/embed.js", { headers: { "if-none-match": inm } });
      expect(res.status, inm).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
      expect(res.headers.get("cache-control")).toMatch(/max-age/);
    }
    const stale = await call("/embed.js", { headers: { "if-none-match": '"0000"' } });
    expect(stale.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe("tracking pages", () => {
  let code = "";
  beforeAll(async () => {
    const form = await page(FORM);
    const res = await postForm(FORM, [
      ...hiddenFields(form.nodes),
      ["kind", "consult"],
      ["subject", "查询测试"],
      ["body", "查询页面的测试来信。"],
    ]);
    code = (await res.text()).match(GROUPED_CODE)![0].replace(/-/g, "");
  });

  it("redirects the lookup /t?code=… to the tracking page, whatever the case and dashes", async () => {
    const typed = `${code.slice(0, 4)}-${code.slice(4, 8)} ${code.slice(8)}`.toLowerCase();
    const res = await call(`/t?code=${encodeURIComponent(typed)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/t/${code}`);
    const en = await call(`/t?code=${code}&lang=en`);
    expect(en.headers.get("location")).toBe(`/t/${code}?lang=en`);
  });

  it("shows the lookup form, and an error for a code that cannot exist", async () => {
    const blank = await page("/t");
    expect(blank.res.status).toBe(200);
    expect(byId(blank.nodes, "code-err")!.attrs.has("hidden")).toBe(true);
    const bad = await page("/t?code=0000");
    expect(bad.res.status).toBe(200);
    expect(byId(bad.nodes, "code-err")!.attrs.has("hidden")).toBe(false);
    expect(byId(bad.nodes, "code")!.attrs.get("aria-invalid")).toBe("true");
  });

  it("renders the tracking page with the grouped code and status, never the message", async () => {
    const { res, html } = await page(`/t/${code}`);
    expect(res.status).toBe(200);
    expect(html).toContain(`${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`);
    expect(html).toContain("已收到");
    expect(html).not.toContain("查询页面的测试来信");
    await assertCspMatchesInlineParts(res, html);
    const en = await page(`/t/${code}?lang=en`);
    expect(en.html).toContain("Received");
  });

  it("answers 404 with the lookup form for an unknown code", async () => {
    const { res, nodes } = await page("/t/ZZZZZZZZZZZZ");
    expect(res.status).toBe(404);
    expect(byId(nodes, "code-err")!.attrs.has("hidden")).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe("weight budget", () => {
  it("keeps embed.js plus the opinion widget page within 12 KB gzipped", async () => {
    const embed = await (await call("/embed.js")).text();
    for (const lang of ["zh-CN", "en"] satisfies Lang[]) {
      const html = await (await call(`${FORM}?lang=${lang}`, {}, productionEnv())).text();
      const total = (await gzipSize(embed)) + (await gzipSize(html));
      expect(total, `${lang}: ${total} bytes`).toBeLessThanOrEqual(BUDGET_BYTES);
    }
  });
});
