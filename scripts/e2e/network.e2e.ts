/**
 * A phone on a poor network: the connection drops at submit, the widget says so in plain words and
 * keeps the draft, and once the network is back it sends by itself, under one Idempotency-Key, so
 * exactly one case is stored — also when the tab was closed meanwhile, or when only the answer was lost.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BrowserContext, Frame, Page } from "playwright-core";
import {
  casesWithSubject,
  eventually,
  FORM,
  fillByTapping,
  HOST,
  phone,
  receiptCode,
  uniqueSubject,
  widgetFrame,
} from "./lib.ts";

const OFFLINE = "网络连接中断。您填写的内容已保存在本机，网络恢复后会自动重新提交。";
const OFFLINE_OPEN = "网络连接中断。请不要关闭本页，网络恢复后会自动重新提交。";
const DRAFT = "huiyin:draft:demo/opinion";

type Where = Frame | Page;
const status = (f: Where) => f.locator("#hy-status").textContent();
const draftOf = (f: Where) =>
  f.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? "null"), DRAFT) as Promise<{
    values: [string, string][];
    key?: string;
    pending?: boolean;
  } | null>;

/** The widget page itself, as a QR code on a poster or a link opens it: first-party storage. */
async function openDirect(page: Page): Promise<Page> {
  await page.goto(FORM);
  await page.locator("#hy-form").waitFor();
  return page;
}

async function openEmbedded(page: Page): Promise<Frame> {
  await page.goto(`${HOST}/`);
  const f = await widgetFrame(page);
  await f.locator("#hy-form").waitFor();
  return f;
}

/** Collects the Idempotency-Key of every submission the context sends. */
function recordKeys(context: BrowserContext): string[] {
  const keys: string[] = [];
  context.on("request", (r) => {
    if (r.method() === "POST") keys.push(r.headers()["idempotency-key"] ?? "(none)");
  });
  return keys;
}

test("offline at submit: plain words, the draft is kept, back online it sends by itself, once", async () => {
  const context = await phone();
  const page = await openDirect(await context.newPage());
  const subject = uniqueSubject("断网时提交");
  const body = "在地下停车场信号不好时提交的意见，网络恢复后应自动送达，而且只送达一次。";
  await fillByTapping(page, { kind: "complain", subject, body, contact: "citizen@example.cn" });

  // The draft survives a reload (and so a crash, or a tab the phone discarded).
  await page.reload();
  await page.locator("#hy-form").waitFor();
  assert.equal(await page.locator('input[name="kind"][value="complain"]').isChecked(), true);
  assert.equal(await page.locator('[name="subject"]').inputValue(), subject);
  assert.equal(await page.locator('[name="body"]').inputValue(), body);
  assert.equal(await page.locator('[name="contact"]').inputValue(), "citizen@example.cn");

  const keys = recordKeys(context);
  await context.setOffline(true);
  await page.locator("button[type=submit]").tap();
  await eventually(
    () => status(page),
    (s) => s === OFFLINE,
    10_000,
    "the widget says it is offline",
  );
  assert.ok(await page.locator("button[type=submit]").isDisabled(), "no second submit while it waits");
  const draft = await draftOf(page);
  assert.ok(draft?.key, "the draft keeps its Idempotency-Key");
  assert.deepEqual(
    Object.fromEntries(draft.values.filter(([, v]) => v !== "")),
    { kind: "complain", subject, body, contact: "citizen@example.cn" },
    "the draft keeps the answers",
  );

  // It keeps trying while offline (after 1 s, then 2 s): nothing arrives, the words stay the same.
  await page.waitForTimeout(3500);
  assert.equal(await status(page), OFFLINE);
  assert.equal(casesWithSubject(subject).length, 0, "nothing stored while offline");

  await context.setOffline(false);
  const code = await receiptCode(page);
  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "exactly one case stored");
  assert.equal(stored[0]!.tracking_code, code);
  assert.equal(await draftOf(page), null, "the draft is gone once the case is stored");
  assert.ok(keys.length >= 1);
  assert.deepEqual(new Set(keys), new Set([draft.key]), "every attempt carried the same Idempotency-Key");
  await context.close();
});

test("the tab is closed while offline: reopened, it sends by itself under the same key, once", async () => {
  const context = await phone();
  let page = await openDirect(await context.newPage());
  const subject = uniqueSubject("断网后关闭页面");
  await fillByTapping(page, { kind: "consult", subject, body: "提交时断网，随后手机关闭了页面。" });
  await context.setOffline(true);
  await page.locator("button[type=submit]").tap();
  await eventually(
    () => status(page),
    (s) => s === OFFLINE,
    10_000,
    "the widget says it is offline",
  );
  const key = (await draftOf(page))?.key;
  assert.ok(key);
  await page.close();

  await context.setOffline(false);
  const keys = recordKeys(context);
  page = await context.newPage();
  await page.goto(FORM);
  const code = await receiptCode(page);
  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "exactly one case stored");
  assert.equal(stored[0]!.tracking_code, code);
  assert.deepEqual(keys, [key], "sent under the key of the first attempt");
  await context.close();
});

test("embedded, where the browser refuses the frame storage: honest words, and it still sends once", async (t) => {
  const context = await phone();
  const page = await context.newPage();
  const frame = await openEmbedded(page);
  // Chromium with third-party cookies blocked (this one by default; Chrome incognito) refuses
  // storage to the cross-site frame: then nothing outlives the page, and the widget must say so.
  const refused = await frame.evaluate(() => {
    try {
      localStorage.getItem("x");
      return false;
    } catch {
      return true;
    }
  });
  t.diagnostic(`frame storage ${refused ? "refused" : "allowed"} by this browser`);
  const subject = uniqueSubject("嵌入页面断网");
  await fillByTapping(frame, { kind: "report", subject, body: "嵌在部门网站里的意见箱，提交时断网。" });

  const keys = recordKeys(context);
  await context.setOffline(true);
  await frame.locator("button[type=submit]").tap();
  const expected = refused ? OFFLINE_OPEN : OFFLINE;
  await eventually(
    () => status(frame),
    (s) => s === expected,
    10_000,
    "the widget says it is offline",
  );
  await page.waitForTimeout(3500);
  assert.equal(await status(frame), expected);
  assert.equal(casesWithSubject(subject).length, 0, "nothing stored while offline");

  await context.setOffline(false);
  const code = await receiptCode(frame);
  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "exactly one case stored");
  assert.equal(stored[0]!.tracking_code, code);
  assert.equal(new Set(keys).size, 1, "every attempt carried the same Idempotency-Key");
  await context.close();
});

test("the answer is lost on the way back: the retry under the same key stores one case", async () => {
  const context = await phone();
  const page = await context.newPage();
  const frame = await openEmbedded(page);
  const subject = uniqueSubject("回执丢失");
  await fillByTapping(frame, { kind: "suggest", subject, body: "服务器已保存，但回执在路上丢失。" });

  const keys: string[] = [];
  let lost = 0;
  await context.route("**/api/v1/forms/*/*/submissions", async (route) => {
    keys.push(route.request().headers()["idempotency-key"] ?? "(none)");
    if (lost++ === 0) {
      await route.fetch(); // the server stores the case…
      await route.abort("internetdisconnected"); // …and the phone never hears back
    } else {
      await route.continue();
    }
  });
  await frame.locator("button[type=submit]").tap();
  const code = await receiptCode(frame);
  assert.equal(keys.length, 2, "one lost answer, one retry");
  assert.equal(keys[0], keys[1], "the retry carries the same Idempotency-Key");
  const stored = casesWithSubject(subject);
  assert.equal(stored.length, 1, "exactly one case stored");
  assert.equal(stored[0]!.tracking_code, code, "the retry gets the first submission's tracking code");
  await context.close();
});
