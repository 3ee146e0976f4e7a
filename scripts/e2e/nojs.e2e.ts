/**
 * JavaScript off (an old phone, a locked-down browser): the server-rendered form posts as a plain
 * form, errors come back beside their fields, and the receipt page shows the tracking code.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  casesWithSubject,
  FORM,
  fillByTapping,
  phone,
  plainPost,
  receiptCode,
  uniqueSubject,
  WORKER,
} from "./lib.ts";

test("JavaScript off: the plain form posts and the receipt page shows the tracking code", async () => {
  const context = await phone({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(FORM);
  // The server renders the character counter; the widget script would keep it current as one types.
  const counter = page.locator("[data-count-for]");
  assert.equal(await counter.textContent(), "已输入 0 / 5000 字");
  await page.locator("#q-body").fill("两个字");
  assert.equal(await counter.textContent(), "已输入 0 / 5000 字", "the widget script really is off");
  await page.locator("#q-body").fill("");

  // A missing answer: the server says so beside the field and keeps what was typed.
  await page.locator('[name="subject"]').tap();
  await page.locator('[name="subject"]').fill("只填了标题");
  const refused = await plainPost(page, () => page.locator("button[type=submit]").tap());
  assert.equal(refused.status(), 400);
  assert.equal(await page.locator("#q-body").getAttribute("aria-invalid"), "true");
  assert.ok(await page.locator("#q-body-err").isVisible(), "the body's error shows");
  assert.ok(await page.locator("#hy-summary").isVisible(), "the summary shows");
  assert.equal(await page.locator('[name="subject"]').inputValue(), "只填了标题");

  const subject = uniqueSubject("不用脚本提交");
  await fillByTapping(page, {
    kind: "consult",
    subject,
    body: "老人机浏览器不支持脚本，也要能提交意见。",
    contact: "13912345678",
    publish: true,
  });
  const response = await plainPost(page, () => page.locator("button[type=submit]").tap());
  assert.equal(response.status(), 201);
  assert.equal((await page.locator("h1").textContent())?.trim(), "提交成功");
  const code = await receiptCode(page);
  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "one case stored");
  assert.equal(stored[0]!.tracking_code, code);

  await page.locator(".receipt a").tap();
  await page.waitForURL(`${WORKER}/t/${code}**`);
  assert.equal((await page.locator("main strong").textContent())?.trim(), "已收到");
  await context.close();
});
