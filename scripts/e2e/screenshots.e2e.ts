/**
 * Screenshots of the widget on a phone (390×844 at 3×) for people to look at: the form in normal and
 * large text, with errors, the receipt, the tracking page, and the form embedded on the host page.
 * Written to scripts/e2e/screenshots/ (git-ignored).
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import {
  FORM,
  fillByTapping,
  HOST,
  phone,
  receiptCode,
  SCREENSHOTS,
  uniqueSubject,
  WORKER,
  widgetFrame,
} from "./lib.ts";

async function shot(page: Page, name: string) {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: "disabled", caret: "hide" });
  assert.ok(statSync(path).size > 10_000, `${name}.png was written`);
}

test("screenshots of the widget on a phone", async () => {
  const context = await phone();
  const page = await context.newPage();
  for (const large of [false, true]) {
    const suffix = large ? "-large" : "";
    await page.goto(`${FORM}${large ? "?large=1" : ""}`);
    await page.locator("#hy-form").waitFor();
    await shot(page, `widget${suffix}`);

    await page.locator("button[type=submit]").tap();
    await page.locator("#hy-summary").waitFor();
    await shot(page, `widget-errors${suffix}`);

    await page.reload();
    await fillByTapping(page, {
      kind: "suggest",
      subject: uniqueSubject("截图"),
      body: "建议在政务服务大厅增加老年人专用窗口，并在网站上公布各窗口的办理事项。",
      contact: "13800138000",
      publish: true,
    });
    await page.locator("button[type=submit]").tap();
    const code = await receiptCode(page);
    await shot(page, `receipt${suffix}`);

    await page.goto(`${WORKER}/t/${code}${large ? "?large=1" : ""}`);
    await page.locator("main strong").waitFor();
    await shot(page, `tracking${suffix}`);
  }

  await context.close();

  // A fresh phone: the one above remembers large text.
  const other = await phone();
  const fresh = await other.newPage();
  await fresh.goto(`${WORKER}/echo/demo`);
  await shot(fresh, "echo-wall");

  await fresh.goto(`${HOST}/`);
  await (await widgetFrame(fresh)).locator("#hy-form").waitFor();
  await fresh.waitForTimeout(300); // the frame's height settles
  // A full-page capture paints a cross-origin frame only near the viewport: make the viewport the page.
  const height = await fresh.evaluate(() => document.documentElement.scrollHeight);
  await fresh.setViewportSize({ width: 390, height });
  await shot(fresh, "embedded");

  await fresh.setViewportSize({ width: 390, height: 844 });
  await fresh.goto(`${HOST}/button`);
  await fresh.getByRole("button", { name: "我要留言" }).tap();
  await (await widgetFrame(fresh)).locator("#hy-form").waitFor();
  await fresh.waitForTimeout(300);
  await fresh.screenshot({ path: join(SCREENSHOTS, "button-dialog.png"), animations: "disabled" });
  await other.close();
});
