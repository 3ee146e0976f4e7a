/**
 * The staff side in a real browser, on a laptop (1280×800) and a tablet (820×1180): a citizen sends
 * an opinion through the embedded widget; a department admin made by the admin CLI signs in with the
 * one-time password, must set a new one, sees the new case on the dashboard, adds a handler (whose
 * one-time password shows once) who signs in in a second browser; the inbox lists the case and
 * search finds it by a Chinese word of three characters and of two; the case page masks the personal
 * data; the admin assigns it; the handler replies with a reply template, publishes it and closes it;
 * the citizen's tracking page shows the reply, the echo wall the opinion without personal data, and
 * the audit log each step. axe-core finds no WCAG 2.1 A/AA violation on the staff pages; the keyboard
 * alone signs in; no staff page can be framed by the department site; signing out ends the session.
 * Screenshots of the dashboard and the case page go to scripts/e2e/screenshots/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import type { BrowserContext, Frame, Page, Response } from "playwright-core";
import {
  createUserWithCli,
  DESKTOP,
  expectNoAxeViolations,
  FORM,
  fillByTapping,
  HOST,
  phone,
  plainPost,
  query,
  receiptCode,
  SCREENSHOTS,
  type StaffDevice,
  seedStaff,
  signIn,
  staffContext,
  TABLET,
  uniqueEmail,
  uniqueSubject,
  WORKER,
  widgetFrame,
} from "./lib.ts";

/** A new context on `device` that the test closes when it ends. */
async function staff(t: TestContext, device: StaffDevice, bypassCSP = true): Promise<BrowserContext> {
  const context = await staffContext(device, { bypassCSP });
  t.after(() => context.close());
  return context;
}

/**
 * axe-core finds nothing (WCAG 2.0/2.1 A and AA), and the page does not scroll sideways on this
 * screen (a wide table scrolls in its own box).
 */
async function checkPage(page: Page, what: string): Promise<void> {
  await expectNoAxeViolations(page, what);
  const s = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement!.scrollWidth,
    clientWidth: document.scrollingElement!.clientWidth,
  }));
  assert.ok(
    s.scrollWidth <= s.clientWidth,
    `${what}: nothing scrolls sideways (${s.scrollWidth} > ${s.clientWidth})`,
  );
}

/** Does `act` (a click on a link or a GET form's button) and waits until `url` has loaded. */
async function follow(
  page: Page,
  url: string | RegExp | ((u: URL) => boolean),
  act: () => Promise<unknown>,
): Promise<void> {
  await Promise.all([page.waitForURL(url), act()]);
}

/** Follows a link of the main navigation. */
function nav(page: Page, label: string, path: string): Promise<void> {
  return follow(page, `${WORKER}${path}`, () =>
    page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: label, exact: true }).click(),
  );
}

/** Posts a form by clicking its button; returns the answer to the POST (a 303, or an error page). */
function post(page: Page, button: string): Promise<Response> {
  return plainPost(page, () => page.getByRole("button", { name: button, exact: true }).click());
}

const text = async (page: Page | Frame, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? "").replace(/\s+/g, " ").trim();

/** The path and query of the page now shown. */
const here = (page: Page) => {
  const u = new URL(page.url());
  return `${u.pathname}${u.search}`;
};

async function shot(page: Page, name: string) {
  await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
    animations: "disabled",
    caret: "hide",
  });
}

/** The tracking codes the case table on the page links to. */
const listedCodes = (page: Page) =>
  page.locator("table a.code").evaluateAll((as) => as.map((a) => (a.textContent ?? "").replace(/-/g, "")));

async function search(page: Page, words: string): Promise<string[]> {
  await page.locator("#f-q").fill(words);
  // Not a pattern the previous results page matches too: wait for this search's own page.
  await follow(
    page,
    (u) => u.pathname === "/admin/cases" && u.searchParams.get("q") === words,
    () => page.getByRole("button", { name: "筛选" }).click(),
  );
  return listedCodes(page);
}

/** The rows of the audit page: `actor action target result`, the action by its code. */
function auditRows(page: Page): Promise<string[]> {
  return page.locator("main table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const td = Array.from(tr.querySelectorAll("td"));
      const cell = (i: number) => (td[i]?.textContent ?? "").trim();
      return [cell(1), td[2]?.querySelector("code")?.textContent ?? "", cell(3), cell(4)].join(" ");
    }),
  );
}

const receivedInDemo = () =>
  Number(
    query(
      "SELECT count(*) AS n FROM cases WHERE state = 'received' AND dept_id = (SELECT id FROM departments WHERE slug = 'demo')",
    )[0]?.n,
  );

const CITIZEN = { name: "张建国", contact: "13912345678", masked: "139****5678" };
/** A landline written into the message: staff read it, the echo wall must not show it. */
const BODY =
  "小区东门外的路灯坏了两个星期，晚上老人出行很不方便，希望尽快维修。需要时可打我家电话 010-62345678。";
const WORD3 = "东门外";
const WORD2 = "路灯";

for (const device of [DESKTOP, TABLET]) {
  describe(`staff pages on a ${device.name} (${device.viewport.width}×${device.viewport.height})`, () => {
    test("sign in, inbox, search, assign, reply with a template, publish, close; the citizen sees the reply; all audited", async (t) => {
      // A citizen sends an opinion with contact details and consent through the embedded widget.
      const fresh = receivedInDemo();
      const citizen = await phone();
      t.after(() => citizen.close());
      const host = await citizen.newPage();
      await host.goto(`${HOST}/`);
      const widget = await widgetFrame(host);
      const subject = uniqueSubject("小区路灯坏了");
      await fillByTapping(widget, {
        kind: "suggest",
        subject,
        body: BODY,
        name: CITIZEN.name,
        contact: CITIZEN.contact,
        publish: true,
      });
      await widget.locator("button[type=submit]").tap();
      const code = await receiptCode(widget);

      // The department admin, made with the CLI, has a one-time password.
      const adminEmail = uniqueEmail(`admin-${device.name}`);
      const oneTime = createUserWithCli("demo", adminEmail, "admin");
      const adminPassword = `Huiyin-${device.name}-2025-新密码`;

      const admin = await (await staff(t, device)).newPage();
      await admin.goto(`${WORKER}/admin`);
      assert.equal(here(admin), "/admin/login?next=%2Fadmin", "a signed-out visitor is sent to sign in");
      assert.equal(await text(admin, "h1"), "回音 · 工作人员登录");
      await checkPage(admin, `the sign-in page (${device.name})`);

      await signIn(admin, adminEmail, oneTime);
      assert.equal(here(admin), "/admin/password", "a one-time password leads to the password change");
      assert.match(await text(admin, "main"), /您正在使用一次性密码，请先设置自己的密码。/);
      await admin.goto(`${WORKER}/admin/cases`);
      assert.equal(here(admin), "/admin/password", "no other page before the password is changed");
      await admin.locator("#current").fill(oneTime);
      await admin.locator("#next").fill(adminPassword);
      await admin.locator("#confirm").fill(adminPassword);
      await post(admin, "保存新密码");
      assert.equal(here(admin), "/admin?flash=password", "the new password leads to the dashboard");
      assert.equal(await text(admin, ".flash"), "密码已修改。");
      assert.equal(await text(admin, "h1"), "工作台");
      assert.equal(
        await text(admin, 'a.card[href="/admin/cases?state=received"] .n'),
        String(fresh + 1),
        "the dashboard counts the new, unassigned case",
      );
      await checkPage(admin, `the dashboard (${device.name})`);
      await shot(admin, `admin-dashboard-${device.name}`);

      // The admin adds a handler; the one-time password shows once.
      await nav(admin, "用户与角色", "/admin/users");
      await checkPage(admin, `the users page (${device.name})`);
      const handlerEmail = uniqueEmail(`handler-${device.name}`);
      await admin.locator("#add-email").fill(handlerEmail);
      await admin.locator("#add-name").fill("李办理");
      await admin.locator("#add-role").selectOption("handler");
      assert.equal((await post(admin, "添加")).status(), 200);
      assert.equal(await text(admin, "h1"), "已创建账户");
      const handlerOneTime = await text(admin, ".once code");
      assert.match(handlerOneTime, /^\S{16}$/, "the one-time password shows");
      await admin.getByRole("link", { name: "返回用户列表" }).click();
      await admin.waitForURL(`${WORKER}/admin/users`);
      assert.equal(
        (await admin.content()).includes(handlerOneTime),
        false,
        "the one-time password is not shown again",
      );
      const member = await admin.locator(`tr:has(td:text-is("${handlerEmail}")) td`).allTextContents();
      assert.deepEqual(
        member.slice(1, 4),
        ["李办理", "办理人员", "待修改初始密码"],
        "the handler is listed, waiting for the first password change",
      );

      // The handler signs in in a browser of their own and sets a password.
      const handler = await (await staff(t, device)).newPage();
      const handlerPassword = `Banli-${device.name}-2025-mima`;
      await signIn(handler, handlerEmail, handlerOneTime);
      assert.equal(here(handler), "/admin/password");
      await handler.locator("#current").fill(handlerOneTime);
      await handler.locator("#next").fill(handlerPassword);
      await handler.locator("#confirm").fill(handlerPassword);
      await post(handler, "保存新密码");
      assert.equal(here(handler), "/admin?flash=password");

      // The inbox lists the case; search finds it by a word of three characters and by one of two.
      await nav(admin, "来信办理", "/admin/cases");
      assert.ok((await listedCodes(admin)).includes(code), "the inbox lists the new case");
      const cells = await admin.locator(`tr:has(a[href="/admin/cases/${code}"]) td`).allTextContents();
      assert.deepEqual(cells.slice(1, 4), ["建议", subject, "已收到"], "with its kind, subject and state");
      await checkPage(admin, `the inbox (${device.name})`);
      for (const word of [WORD3, WORD2]) {
        const found = await search(admin, word);
        assert.ok(found.includes(code), `searching for ${word} finds the case (found ${found.join(", ")})`);
        assert.ok(!found.includes("DEMQ2345ABCD"), `searching for ${word} leaves out cases without it`);
      }
      assert.deepEqual(await search(admin, "没有这样的来信内容"), [], "a word in no case finds nothing");
      await checkPage(admin, `the inbox with search results (${device.name})`);

      // The case page: the message in full, the personal data masked.
      await search(admin, WORD2);
      await follow(admin, `${WORKER}/admin/cases/${code}`, () =>
        admin.locator(`a.code[href="/admin/cases/${code}"]`).click(),
      );
      assert.match(await text(admin, "h1"), new RegExp(`^${subject} 已收到$`));
      assert.equal(await text(admin, ".pre"), BODY, "staff read the whole message");
      const personal = await admin
        .locator("main dl")
        .last()
        .evaluate((dl) => Array.from(dl.children, (el) => (el.textContent ?? "").trim()));
      assert.deepEqual(personal, ["姓名", "张**", "联系方式", CITIZEN.masked], "name and contact are masked");
      const html = await admin.content();
      assert.equal(html.includes(CITIZEN.name), false, "the full name is not in the page");
      assert.equal(html.includes(CITIZEN.contact), false, "the full contact is not in the page");
      assert.match(await text(admin, "main"), /来信人同意在回音壁公开/);
      await checkPage(admin, `the case page (${device.name})`);
      await shot(admin, `admin-case-${device.name}`);

      await admin.locator("#assignee").selectOption(handlerEmail);
      await post(admin, "分派");
      assert.equal(here(admin), `/admin/cases/${code}?flash=assigned`);
      assert.equal(await text(admin, ".flash"), "已分派。");
      assert.match(await text(admin, "p.muted"), new RegExp(`承办人 ${handlerEmail}`));

      // The handler writes a reply template…
      await nav(handler, "答复模板", "/admin/templates");
      const templateTitle = uniqueSubject(`路灯维修答复 ${device.name}`);
      const templateBody = "您好，感谢您的来信。我委已通知物业和街道办，安排维修人员在三个工作日内修复路灯。";
      await handler.locator("#t-title").fill(templateTitle);
      await handler.locator("#t-body").fill(templateBody);
      await post(handler, "创建");
      assert.equal(here(handler), "/admin/templates?flash=created");
      assert.ok(
        await handler.locator(`td:text-is("${templateTitle}")`).isVisible(),
        "the template is listed",
      );

      // …finds the case among theirs, replies with the template, publishes and closes it.
      await handler.goto(`${WORKER}/admin/cases?mine=1`);
      assert.ok((await listedCodes(handler)).includes(code), "the case is among the handler's");
      await follow(handler, `${WORKER}/admin/cases/${code}`, () =>
        handler.locator(`a.code[href="/admin/cases/${code}"]`).click(),
      );
      assert.equal(await text(handler, "h1"), `${subject} 办理中`);
      await handler.locator("#template").selectOption({ label: templateTitle });
      await follow(handler, /template=/, () => handler.getByRole("button", { name: "套用" }).click());
      assert.equal(
        await handler.locator("#reply").inputValue(),
        templateBody,
        "the template fills the reply",
      );
      const reply = `${templateBody}维修完成后我们会再次回访。`;
      await handler.locator("#reply").fill(reply);
      await post(handler, "保存答复");
      assert.equal(here(handler), `/admin/cases/${code}?flash=replied`);
      assert.equal(await text(handler, "h1"), `${subject} 已答复`);
      await post(handler, "发布到回音壁");
      assert.equal(here(handler), `/admin/cases/${code}?flash=published`);
      assert.equal(await text(handler, ".flash"), "已发布到回音壁。");
      await post(handler, "办结");
      assert.equal(here(handler), `/admin/cases/${code}?flash=closed`);
      assert.equal(await text(handler, "h1"), `${subject} 已办结`);
      assert.ok(await handler.getByRole("button", { name: "从回音壁撤下" }).isVisible(), "published");

      // The citizen's tracking page shows the reply; the echo wall the opinion, without personal data.
      const citizenPage = await citizen.newPage();
      await citizenPage.goto(`${WORKER}/t/${code}`);
      assert.equal(await text(citizenPage, "main strong"), "已办结");
      assert.equal(await text(citizenPage, ".reply"), reply);
      await citizenPage.goto(`${WORKER}/echo/demo`);
      const item = citizenPage.locator("article.item", { hasText: subject });
      assert.equal(await item.count(), 1, "the echo wall shows the opinion");
      const shown = (await item.textContent()) ?? "";
      assert.ok(shown.includes("小区东门外的路灯坏了两个星期"), "with its message");
      assert.ok(shown.includes(reply), "and the reply");
      for (const secret of [CITIZEN.name, CITIZEN.contact, CITIZEN.masked, "62345678"]) {
        assert.equal((await citizenPage.content()).includes(secret), false, `the echo wall hides ${secret}`);
      }

      // The audit log lists each step, newest first.
      await nav(admin, "审计日志", "/admin/audit");
      const rows = await auditRows(admin);
      const expected = [
        `${handlerEmail} case.closed ${code} 成功`,
        `${handlerEmail} case.published ${code} 成功`,
        `${handlerEmail} case.replied ${code} 成功`,
        `${handlerEmail} template.create`,
        `${adminEmail} case.assigned ${code} 成功`,
        `${handlerEmail} auth.password_change  成功`,
        `${handlerEmail} auth.sign_in ${handlerEmail} 成功`,
        `${adminEmail} user.create ${handlerEmail} 成功`,
        `${adminEmail} auth.password_change  成功`,
        `${adminEmail} auth.sign_in ${adminEmail} 成功`,
        `（系统） cli.user_create ${adminEmail} 成功`,
      ];
      const positions = expected.map((e) => rows.findIndex((r) => r.startsWith(e)));
      assert.deepEqual(
        expected.filter((_, i) => positions[i] === -1),
        [],
        `the audit page lists every step; it shows:\n${rows.join("\n")}`,
      );
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        "newest first, in the order they happened",
      );
      await checkPage(admin, `the audit page (${device.name})`);
      const detail = await admin
        .locator("td.detail")
        .first()
        .evaluate((td) => ({
          width: td.getBoundingClientRect().width,
          em: Number.parseFloat(getComputedStyle(td).fontSize),
        }));
      assert.ok(
        detail.width >= 12 * detail.em,
        `the audit detail stays readable: ${detail.width.toFixed(0)} px wide (at least 12 characters)`,
      );
      // Filtered by the handler: only the handler's entries.
      await admin.locator("#f-actor").fill(handlerEmail);
      await follow(admin, /\/admin\/audit\?/, () => admin.getByRole("button", { name: "筛选" }).click());
      const theirs = await auditRows(admin);
      assert.equal(theirs.length, 6, `the handler's six entries:\n${theirs.join("\n")}`);
      assert.ok(theirs.every((r) => r.startsWith(`${handlerEmail} `)));
    });
  });
}

describe("signing in and out, framing", () => {
  const password = "Jianpan-denglu-2025";
  const keyboard = { email: uniqueEmail("keyboard"), role: "admin" as const, password };
  const framed = { email: uniqueEmail("framed"), role: "admin" as const, password };
  const leaving = { email: uniqueEmail("leaving"), role: "handler" as const, password };
  before(() => seedStaff("demo", [keyboard, framed, leaving]));

  test("the keyboard alone signs in, with the focus visible at every stop", async (t) => {
    const page = await (await staff(t, DESKTOP)).newPage();
    await page.goto(`${WORKER}/admin`);
    const stops: string[] = [];
    const tab = async () => {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const s = getComputedStyle(el);
        return { id: el.id || el.tagName.toLowerCase(), outline: `${s.outlineStyle} ${s.outlineWidth}` };
      });
      assert.ok(!at.outline.startsWith("none"), `the focus on ${at.id} shows (outline ${at.outline})`);
      stops.push(at.id);
    };
    await tab();
    await page.keyboard.type(keyboard.email);
    await tab();
    await page.keyboard.type(keyboard.password);
    await tab();
    assert.deepEqual(stops, ["email", "password", "button"], "e-mail, password, then the button");
    await Promise.all([page.waitForURL(`${WORKER}/admin`), page.keyboard.press("Enter")]);
    assert.equal(await text(page, "h1"), "工作台");
    assert.match(await text(page, "header.top"), new RegExp(keyboard.email));
  });

  test("no staff page can be framed by the department site, signed in or not", async (t) => {
    // No bypassCSP here: the test is of the CSP.
    const context = await staff(t, DESKTOP, false);
    const page = await context.newPage();
    await signIn(page, framed.email, framed.password);
    const navLinks = await page
      .getByRole("navigation", { name: "主导航" })
      .getByRole("link")
      .evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    const template = query(
      "SELECT t.id FROM reply_templates t JOIN departments d ON d.id = t.dept_id WHERE d.slug = 'demo' LIMIT 1",
    )[0]?.id;
    const pages = [
      ...navLinks,
      "/admin/password",
      "/admin/cases/DEMQ2345ABCD",
      "/admin/cases?q=%E8%B7%AF%E7%81%AF",
      "/admin/audit?result=ok",
      ...(template ? [`/admin/templates/${template}`] : []),
      "/admin/login",
    ];
    for (const p of ["/admin", "/admin/cases", "/admin/users", "/admin/templates", "/admin/audit"]) {
      assert.ok(pages.includes(p), `${p} is among the pages checked`);
    }
    const errorPage = "/admin/cases/ZZZZ2222ZZZZ"; // a staff error page (no such case)

    // The department site (another site) and a sibling origin on the same site (the session cookie,
    // SameSite=Lax, reaches a same-site frame: the framed answer is then the staff page itself).
    const crossSite = await context.newPage();
    await crossSite.goto(`${HOST}/`);
    const sameSite = await context.newPage();
    await sameSite.goto(`http://localhost:${new URL(HOST).port}/`);

    let n = 0;
    /** Frames `path` in `host`; returns the frame's final URL and the answers the frame got. */
    async function frame(host: Page, path: string) {
      const name = `probe${n++}`;
      // Playwright learns a frame's name when it commits: match the answers by frame afterwards.
      const answers: Response[] = [];
      const onResponse = (r: Response) => {
        answers.push(r);
      };
      host.on("response", onResponse);
      const navigated = host.waitForEvent("framenavigated", {
        predicate: (x) => x.name() === name && x.url() !== "about:blank",
      });
      await host.evaluate(
        ([src, id]) => {
          const f = document.createElement("iframe");
          f.name = id!;
          f.src = src!;
          document.body.append(f);
        },
        [`${WORKER}${path}`, name],
      );
      const f = await navigated;
      await f.waitForLoadState("load");
      host.off("response", onResponse);
      const mine = answers.filter((r) => r.request().frame() === f);
      return { url: f.url(), frame: f, last: mine.at(-1) };
    }

    // The harness can frame what may be framed: the widget, which the demo department allows.
    const control = await frame(crossSite, new URL(FORM).pathname);
    assert.equal(control.url, FORM, "the widget loads in the department site's frame");
    assert.equal(await text(control.frame, "h1"), "意见箱");

    const frameOk = (r: Response | undefined, what: string) => {
      assert.ok(r, `${what}: the frame got an answer`);
      const h = r.headers();
      assert.match(
        h["content-security-policy"] ?? "",
        /frame-ancestors 'none'/,
        `${what}: CSP frame-ancestors`,
      );
      assert.equal(h["x-frame-options"], "DENY", `${what}: X-Frame-Options`);
    };
    for (const path of [...pages, errorPage]) {
      const top = await page.goto(`${WORKER}${path}`);
      assert.equal(top?.status(), path === errorPage ? 404 : 200, `${path} loads on its own`);
      assert.equal(here(page), path, `${path} is shown itself, signed in`);
      frameOk(top ?? undefined, path);

      for (const [host, site] of [
        [crossSite, "the department site"],
        [sameSite, "a same-site origin"],
      ] as const) {
        const what = `${path} framed by ${site}`;
        const got = await frame(host, path);
        assert.equal(got.url, "chrome-error://chromewebdata/", `${what}: the frame's content never loads`);
        frameOk(got.last, what);
        if (host === sameSite) {
          const at = new URL(got.last!.url());
          assert.equal(`${at.pathname}${at.search}`, path, `${what}: the refused answer is the staff page`);
        }
      }
    }
  });

  test("signing out ends the session: back and reload show the sign-in page, the old cookie is refused", async (t) => {
    const context = await staff(t, DESKTOP);
    const page = await context.newPage();
    await signIn(page, leaving.email, leaving.password);
    await page.goto(`${WORKER}/admin/cases`);
    assert.equal(await text(page, "h1"), "来信办理");
    const [cookie] = await context.cookies(WORKER);
    assert.ok(cookie, "a session cookie");

    await post(page, "退出");
    assert.equal(here(page), "/admin/login", "signing out leads to the sign-in page");
    assert.deepEqual(await context.cookies(WORKER), [], "the cookie is gone");

    await page.goBack();
    assert.equal(here(page), "/admin/login?next=%2Fadmin%2Fcases", "back: the sign-in page, not the inbox");
    assert.equal(await page.locator("main table").count(), 0, "back: no cases shown");
    await page.reload();
    assert.equal(here(page), "/admin/login?next=%2Fadmin%2Fcases", "reload: still the sign-in page");
    assert.equal(await text(page, "h1"), "回音 · 工作人员登录");

    // The old session itself is over, not only forgotten by this browser.
    const other = await staff(t, DESKTOP);
    await other.addCookies([cookie]);
    const again = await other.newPage();
    await again.goto(`${WORKER}/admin/cases`);
    assert.equal(here(again), "/admin/login?next=%2Fadmin%2Fcases", "the old cookie no longer signs in");
    const [out] = query(
      `SELECT a.result FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'auth.sign_out' AND u.email = '${leaving.email}'`,
    );
    assert.equal(out?.result, "ok", "signing out is audited");
  });
});
