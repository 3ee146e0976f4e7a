/**
 * Accessibility and elderly-friendliness (适老化, DESIGN §5): axe-core finds no WCAG 2.1 A/AA
 * violation on every citizen page, in normal and large-text mode; tap targets are at least 44 px
 * (60 px in large mode); body text is at least 18 px in large mode; nothing scrolls sideways on a
 * phone; errors are announced and tied to their fields; the keyboard alone fills and sends the form.
 */
import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type { Page } from "playwright-core";
import {
  expectNoAxeViolations,
  expectTapTargets,
  FORM,
  fillByTapping,
  phone,
  plainPost,
  receiptCode,
  textSizes,
  uniqueSubject,
  WORKER,
} from "./lib.ts";

/**
 * A page on a fresh phone (no draft or large-text setting left by another test). The widget's CSP
 * refuses inline scripts, axe-core included: this context lets the test inject it.
 */
async function freshPage(t: TestContext): Promise<Page> {
  const context = await phone({ bypassCSP: true });
  t.after(() => context.close());
  return context.newPage();
}

/** A seeded opinion with a published reply (scripts/seed.ts): a tracking page with a timeline. */
const REPLIED = "DEMQ2345ABCD";

async function checkPage(page: Page, what: string, large: boolean) {
  await expectNoAxeViolations(page, what);
  await expectTapTargets(page, large ? 60 : 44, what);
  const overflow = await page.evaluate(() => {
    const s = document.scrollingElement!;
    return { scrollWidth: s.scrollWidth, clientWidth: s.clientWidth };
  });
  assert.ok(
    overflow.scrollWidth <= overflow.clientWidth,
    `${what}: nothing scrolls sideways on a 390 px phone (${overflow.scrollWidth} > ${overflow.clientWidth})`,
  );
  if (large) {
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains("large")), true);
    const small = (await textSizes(page)).filter((t) => t.size < 18);
    assert.deepEqual(
      small.map((t) => `${t.what}: ${t.size}px`),
      [],
      `${what}: all text at least 18 px in large mode`,
    );
  }
}

/** The tracking code is read aloud and copied down: it must not break inside a group. */
async function expectCodeOnOneLine(page: Page, what: string) {
  const lines = await page.locator(".code").evaluate((el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set(Array.from(r.getClientRects(), (x) => Math.round(x.top))).size;
  });
  assert.equal(lines, 1, `${what}: the tracking code stays on one line`);
}

/** Every error that shows is a live alert, referenced by its field, which is marked invalid. */
async function expectErrorsTiedToFields(page: Page, ids: string[]) {
  const errors = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>(".q .err"))
      .filter((e) => !e.hidden)
      .map((e) => {
        const block = e.closest<HTMLElement>(".q")!;
        const control = block.querySelector("fieldset") ?? block.querySelector("input, textarea");
        return {
          q: block.dataset.q,
          role: e.getAttribute("role"),
          text: (e.textContent ?? "").trim(),
          describedBy: (control?.getAttribute("aria-describedby") ?? "").split(/\s+/),
          errId: e.id,
          invalid: control?.getAttribute("aria-invalid"),
          // A text field also shows its error by its border (the fieldset's choices by theirs).
          border: control?.matches("input, textarea")
            ? `${getComputedStyle(control).borderTopWidth} ${getComputedStyle(control).borderTopColor}`
            : "2px rgb(176, 0, 32)",
        };
      }),
  );
  assert.deepEqual(errors.map((e) => e.q).sort(), [...ids].sort(), "an error on each wrong field, no other");
  for (const e of errors) {
    assert.equal(e.role, "alert", `${e.q}: the error is announced (role=alert)`);
    assert.ok(e.text.length > 0, `${e.q}: the error says what is wrong`);
    assert.ok(e.describedBy.includes(e.errId), `${e.q}: the field's aria-describedby names its error`);
    assert.equal(e.invalid, "true", `${e.q}: the field is aria-invalid`);
    assert.equal(e.border, "2px rgb(176, 0, 32)", `${e.q}: the field's border turns red and thick`);
  }
  const summary = page.locator("#hy-summary");
  assert.ok(await summary.isVisible(), "the summary above the form shows");
  assert.equal(await summary.getAttribute("role"), "alert");
}

for (const large of [false, true]) {
  const mode = large ? "large text" : "normal text";
  const q = large ? "?large=1" : "";

  describe(`citizen pages in ${mode}`, () => {
    test("the widget page", async (t) => {
      const page = await freshPage(t);
      await page.goto(`${FORM}${q}`);
      await page.locator("#hy-form").waitFor();
      await checkPage(page, `the widget page (${mode})`, large);
      // The conditional question that shows for 纠错 counts too.
      await page.locator('.choice:has(input[value="correction"])').tap();
      await page.locator("#q-pageUrl").waitFor();
      await checkPage(page, `the widget page with the website-error question (${mode})`, large);
    });

    test("after a failed submit: errors announced and tied to their fields", async (t) => {
      const page = await freshPage(t);
      await page.goto(`${FORM}${q}`);
      await page.locator('[name="contact"]').tap();
      await page.locator('[name="contact"]').fill("打电话给我");
      await page.locator("button[type=submit]").tap();
      await page.locator("#hy-summary").waitFor();
      await expectErrorsTiedToFields(page, ["kind", "subject", "body", "contact"]);
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute("name")),
        "kind",
        "focus goes to the first wrong field",
      );
      await checkPage(page, `the widget page with errors (${mode})`, large);

      // The server's own error page (a plain post, as without JavaScript) is as accessible.
      await plainPost(page, () =>
        page.evaluate(() => HTMLFormElement.prototype.submit.call(document.getElementById("hy-form"))),
      );
      await page.locator("#hy-summary").waitFor();
      await expectErrorsTiedToFields(page, ["kind", "subject", "body", "contact"]);
      await checkPage(page, `the form with the server's errors (${mode})`, large);
    });

    test("the receipt", async (t) => {
      const page = await freshPage(t);
      await page.goto(`${FORM}${q}`);
      await fillByTapping(page, {
        kind: "suggest",
        subject: uniqueSubject("无障碍检查"),
        body: "回执页面也要适合老年人阅读。",
        publish: true,
      });
      await page.locator("button[type=submit]").tap();
      await receiptCode(page);
      await expectCodeOnOneLine(page, `the receipt (${mode})`);
      assert.equal(
        await page.evaluate(() => document.activeElement?.tagName),
        "H2",
        "focus moves to the receipt's heading",
      );
      await checkPage(page, `the receipt (${mode})`, large);

      // The receipt page the plain post answers with.
      await page.goto(`${FORM}${q}`);
      await fillByTapping(page, {
        kind: "consult",
        subject: uniqueSubject("无障碍回执页"),
        body: "不用脚本提交。",
      });
      await plainPost(page, () =>
        page.evaluate(() => HTMLFormElement.prototype.submit.call(document.getElementById("hy-form"))),
      );
      await receiptCode(page);
      await checkPage(page, `the receipt page (${mode})`, large);
    });

    test("the tracking page", async (t) => {
      const page = await freshPage(t);
      await page.goto(`${WORKER}/t/${REPLIED}${q}`);
      await page.locator(".reply").waitFor();
      await checkPage(page, `the tracking page with a reply (${mode})`, large);
      await page.goto(`${WORKER}/t/ZZZZ2222ZZZZ${q}`);
      await page.locator("#code-err").waitFor();
      await checkPage(page, `the tracking look-up with an unknown code (${mode})`, large);
    });

    test("the echo wall", async (t) => {
      const page = await freshPage(t);
      await page.goto(`${WORKER}/echo/demo${q}`);
      await page.locator("article.item").first().waitFor();
      await checkPage(page, `the echo wall (${mode})`, large);
    });
  });
}

/** Presses Tab until the focused element matches, and checks that every stop shows its focus. */
async function tabTo(page: Page, selector: string, what: string) {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    const here = await page.evaluate((sel) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { match: false, outline: "n/a", tag: "body" };
      const style = getComputedStyle(el);
      return {
        match: el.matches(sel),
        outline: `${style.outlineStyle} ${style.outlineWidth}`,
        tag: `${el.tagName.toLowerCase()}[name=${el.getAttribute("name")}]`,
      };
    }, selector);
    if (here.tag !== "body") {
      assert.ok(
        !here.outline.startsWith("none"),
        `the focus on ${here.tag} is visible (outline: ${here.outline})`,
      );
    }
    if (here.match) return;
  }
  assert.fail(`Tab never reached ${what}`);
}

test("the keyboard alone switches to large text, fills in the form and sends it", async (t) => {
  const page = await freshPage(t);
  await page.goto(FORM);
  await page.locator("#hy-form").waitFor();
  const kb = page.keyboard;

  await tabTo(page, "#hy-large", "the large-text switch");
  await kb.press("Enter");
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains("large")), true);

  await tabTo(page, 'input[name="kind"]', "the kinds");
  await kb.press("Space");
  await kb.press("ArrowDown");
  assert.equal(await page.locator('input[name="kind"][value="suggest"]').isChecked(), true, "arrows choose");
  const subject = uniqueSubject("键盘填写");
  await tabTo(page, "#q-subject", "the subject");
  await kb.type(subject);
  await tabTo(page, "#q-body", "the message");
  await kb.type("只用键盘也能填写并提交意见。");
  await tabTo(page, "#q-contact", "the contact");
  await kb.type("13800138000");
  await tabTo(page, "#q-publish", "the consent");
  await kb.press("Space");
  assert.equal(await page.locator("#q-publish").isChecked(), true, "Space ticks the consent");
  await tabTo(page, "button[type=submit]", "the submit button");
  await kb.press("Enter");

  const code = await receiptCode(page);
  await tabTo(page, ".receipt a", "the tracking link");
  await kb.press("Enter");
  await page.waitForURL(`${WORKER}/t/${code}**`);
  assert.equal((await page.locator("main strong").textContent())?.trim(), "已收到");
  assert.equal(
    await page.evaluate(() => document.documentElement.classList.contains("large")),
    true,
    "large text stays on",
  );
});
