/**
 * The one script tag on a department site: the widget shows in an iframe from the Worker's origin,
 * a citizen fills and sends it on a phone by tapping, gets a tracking code, the frame fits its
 * content, and the tracking link shows the status. The button mode opens the form in a dialog.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import type { Frame, Page } from "playwright-core";
import {
  casesWithSubject,
  FORM,
  fillByTapping,
  HOST,
  phone,
  receiptCode,
  uniqueSubject,
  WORKER,
  widgetFrame,
} from "./lib.ts";

/** The iframe's height on the host and the content's height inside it, once they agree. */
async function expectFitted(page: Page, frame: Frame, when: string) {
  const iframe = page.locator("iframe");
  let last = { outer: 0, content: 0, scrollHeight: 0, clientHeight: 0 };
  for (let i = 0; i < 40; i++) {
    const outer = (await iframe.boundingBox())!.height;
    const inner = await frame.evaluate(() => ({
      content: document.documentElement.getBoundingClientRect().height,
      scrollHeight: document.scrollingElement!.scrollHeight,
      clientHeight: document.scrollingElement!.clientHeight,
    }));
    last = { outer, ...inner };
    if (Math.abs(outer - inner.content) <= 2 && inner.scrollHeight <= inner.clientHeight) break;
    await page.waitForTimeout(100);
  }
  assert.ok(
    Math.abs(last.outer - last.content) <= 2,
    `${when}: the iframe (${last.outer}px) is as tall as its content (${last.content}px)`,
  );
  assert.ok(
    last.scrollHeight <= last.clientHeight,
    `${when}: no inner scrollbar (scrollHeight ${last.scrollHeight} ≤ clientHeight ${last.clientHeight})`,
  );
}

test("the script tag embeds the widget from the Worker's origin; a citizen sends an opinion by tapping", async () => {
  const context = await phone();
  const page = await context.newPage();
  await page.goto(`${HOST}/`);
  const frame = await widgetFrame(page);
  assert.equal(new URL(frame.url()).origin, WORKER, "the iframe comes from the Worker's origin");
  assert.notEqual(new URL(page.url()).origin, WORKER, "the host is another origin");
  assert.equal(await frame.locator("h1").textContent(), "意见箱");
  await expectFitted(page, frame, "the form");

  const subject = uniqueSubject("建议公开门诊排班");
  await fillByTapping(frame, {
    kind: "suggest",
    subject,
    body: "希望在网站上公开各医院专家门诊的排班表，方便老年人提前安排就诊。",
    contact: "13800138000",
    publish: true,
  });
  assert.equal(await frame.locator('input[name="kind"][value="suggest"]').isChecked(), true);
  assert.equal(await frame.locator('input[name="publish"]').isChecked(), true);
  await frame.locator("button[type=submit]").tap();

  const code = await receiptCode(frame);
  assert.equal((await frame.locator(".receipt h2").textContent())?.trim(), "提交成功");
  await expectFitted(page, frame, "the receipt");

  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "one case stored");
  assert.equal(stored[0]!.tracking_code, code);

  await frame.locator(".receipt a").tap();
  await frame.waitForURL(`${WORKER}/t/${code}**`);
  await frame.locator("main h1").waitFor();
  assert.equal((await frame.locator("main h1").textContent())?.trim(), "办理进度");
  assert.equal((await frame.locator("main strong").textContent())?.trim(), "已收到");
  assert.equal((await frame.locator("main .code").textContent())?.replace(/-/g, ""), code);
  await expectFitted(page, frame, "the tracking page");
  await context.close();
});

test("a plain <iframe data-huiyin-form> in the host's HTML: embed.js sizes it, and it sends", async () => {
  const context = await phone();
  const page = await context.newPage();
  await page.goto(`${HOST}/iframe`);
  const frame = await widgetFrame(page);
  assert.equal(new URL(frame.url()).origin, WORKER);
  assert.equal(await page.locator("iframe").count(), 1, "embed.js adds no second frame");
  // Its height in the HTML is 420px; embed.js asks for the height and fits it to the content.
  await expectFitted(page, frame, "the form");
  assert.ok((await page.locator("iframe").boundingBox())!.height > 420, "the frame grew to the form");

  const subject = uniqueSubject("iframe 嵌入提交");
  await fillByTapping(frame, { kind: "consult", subject, body: "从网页里直接写的 iframe 提交一条咨询。" });
  await frame.locator("button[type=submit]").tap();
  const code = await receiptCode(frame);
  await expectFitted(page, frame, "the receipt");
  assert.equal(casesWithSubject(subject)[0]?.tracking_code, code);
  await context.close();
});

test("button mode: a button on the host opens the form in a dialog", async () => {
  const context = await phone();
  const page = await context.newPage();
  await page.goto(`${HOST}/button`);
  const open = page.getByRole("button", { name: "我要留言" });
  await open.waitFor();
  assert.equal(await page.locator("iframe").count(), 0, "no frame until the citizen asks for it");
  // The host's stylesheet (font-size:40px; color:red on every button) does not reach the button.
  const look = await open.evaluate((el) => {
    const cs = getComputedStyle(el);
    return { size: cs.fontSize, color: cs.color };
  });
  assert.equal(look.size, "16px");
  assert.notEqual(look.color, "rgb(255, 0, 0)");
  await open.tap();
  const dialog = page.getByRole("dialog", { name: "意见表单" });
  await dialog.waitFor();
  const frame = await widgetFrame(page);
  assert.equal(new URL(frame.url()).origin, WORKER);
  await frame.locator("#hy-form").waitFor();
  assert.ok(await dialog.locator("iframe").isVisible(), "the form shows inside the dialog");

  const subject = uniqueSubject("对话框里提交");
  await fillByTapping(frame, { kind: "consult", subject, body: "从按钮打开的对话框里提交一条咨询。" });
  await frame.locator("button[type=submit]").tap();
  await receiptCode(frame);

  await dialog.getByRole("button", { name: "关闭" }).tap();
  await page.locator("dialog[open]").waitFor({ state: "detached" });
  assert.equal(await page.locator("dialog[open]").count(), 0, "the dialog closes");
  await context.close();
});

test("weight: the widget page and embed.js stay within 12 KB gzip", async (t) => {
  const [pageHtml, embed] = await Promise.all(
    [FORM, `${WORKER}/embed.js`].map(async (u) => Buffer.from(await (await fetch(u)).arrayBuffer())),
  );
  const total = gzipSync(pageHtml!, { level: 9 }).length + gzipSync(embed!, { level: 9 }).length;
  t.diagnostic(`widget page + embed.js: ${total} B gzip`);
  assert.ok(total <= 12 * 1024, `widget page + embed.js = ${total} B gzip (budget 12288 B)`);
});
