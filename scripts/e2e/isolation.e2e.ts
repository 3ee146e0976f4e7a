/**
 * Host isolation (DESIGN §5): the department site's hostile CSS does not reach the form, its script
 * cannot read the frame's document, it hears nothing from the widget but heights, and the widget
 * loads nothing from a third-party origin.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Frame, Page } from "playwright-core";
import {
  eventually,
  FORM,
  fillByTapping,
  HOST,
  phone,
  receiptCode,
  uniqueSubject,
  WORKER,
  widgetFrame,
} from "./lib.ts";

/** Computed styles of the controls the host's stylesheet targets (`font-size:40px; color:red`). */
function looks(f: Frame | Page) {
  return f.evaluate(() =>
    ["label", "#q-subject", "#q-body", "button[type=submit]", ".choice"].map((sel) => {
      const s = getComputedStyle(document.querySelector(sel)!);
      return { sel, fontSize: s.fontSize, color: s.color };
    }),
  );
}

test("the host's CSS and script do not reach the widget, and the widget loads only from its own origin", async () => {
  const context = await phone();
  const urls = new Set<string>();
  context.on("request", (r) => {
    urls.add(r.url());
  });

  // The widget as it looks on its own…
  const alone = await context.newPage();
  await alone.goto(FORM);
  const expected = await looks(alone);
  await alone.close();

  // …and on the hostile department site.
  const page = await context.newPage();
  await page.goto(`${HOST}/`);
  assert.equal(
    await page.evaluate(() => getComputedStyle(document.querySelector("p")!).fontSize),
    "16px",
    "the host page itself is what the host styled",
  );
  assert.equal(
    await page.evaluate(() => {
      const probe = document.createElement("label");
      document.body.append(probe);
      return getComputedStyle(probe).fontSize;
    }),
    "40px",
    "the host's hostile rule is in force on the host page",
  );
  const frame = await widgetFrame(page);
  assert.deepEqual(await looks(frame), expected, "the form looks the same inside the hostile host");
  for (const l of expected) {
    assert.notEqual(l.fontSize, "40px", `${l.sel}: not the host's size`);
    assert.notEqual(l.color, "rgb(255, 0, 0)", `${l.sel}: not the host's colour`);
  }

  // The host's own script tried to read the frame on load (scripts/lib/host-site.ts, probe).
  const probe = await eventually(
    () =>
      page.evaluate(() => (window as unknown as { __huiyinProbe: { reads: string[] } }).__huiyinProbe.reads),
    (reads) => reads.length >= 3,
    5000,
    "the host's probe ran when the frame loaded",
  );
  assert.deepEqual(
    [...new Set(probe)].sort(),
    ["contentDocument:null", "document:SecurityError", "storage:SecurityError"],
    "the host script cannot read the frame's document or storage",
  );
  const now = await page.evaluate(() => {
    const f = document.querySelector("iframe")!;
    try {
      return `read ${f.contentWindow!.document.title}`;
    } catch (e) {
      return (e as Error).name;
    }
  });
  assert.equal(now, "SecurityError");

  // The citizen sends an opinion with personal data; the host hears nothing but heights.
  await fillByTapping(frame, {
    kind: "complain",
    subject: uniqueSubject("隔离检查"),
    body: "我的手机号码是 13800138000，请勿让宿主页面看到。",
    name: "张三",
    contact: "13800138000",
  });
  await frame.locator("button[type=submit]").tap();
  await receiptCode(frame);
  const messages = await page.evaluate(
    () =>
      (window as unknown as { __huiyinProbe: { messages: { origin: string; data: unknown }[] } })
        .__huiyinProbe.messages,
  );
  assert.ok(messages.length > 0, "the widget did send its height");
  for (const m of messages) {
    assert.equal(m.origin, WORKER);
    assert.deepEqual(Object.keys(m.data as object).sort(), ["height", "huiyin"], JSON.stringify(m.data));
  }
  assert.ok(!JSON.stringify(messages).includes("13800138000"), "no personal data reaches the host");

  const allowed = new Set([WORKER, HOST]);
  const foreign = [...urls].filter((u) => !allowed.has(new URL(u).origin));
  assert.deepEqual(foreign, [], "every request goes to the Worker or the host, no third-party origin");
  assert.ok(
    [...urls].some((u) => u.startsWith(`${WORKER}/api/v1/`)),
    "the submission went to the Worker",
  );
  await context.close();
});
