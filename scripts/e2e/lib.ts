/**
 * Helpers for the browser tests: the servers run.ts started, a phone in headless Chromium, the
 * embedded widget's frame, filling the opinion box by tapping, axe-core, tap-target and font
 * measurements, reading the e2e D1, and staff: a laptop or tablet, accounts made by the admin CLI or
 * seeded with a known password, signing in.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after } from "node:test";
import type { Browser, BrowserContext, BrowserContextOptions, Frame, Page, Response } from "playwright-core";
import { hashPassword } from "../../functions/lib/crypto.ts";
import { launchChromium } from "../lib/chromium.ts";
import { lit, ROOT, runSql } from "../lib/d1.ts";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with \`npm run e2e\``);
  return v;
}

/** The Worker (widget) origin and the department site's origin: two different origins. */
export const WORKER = required("E2E_WORKER");
export const HOST = required("E2E_HOST");
export const FORM = `${WORKER}/w/demo/opinion`;
export const SCREENSHOTS = join(ROOT, "scripts/e2e/screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

/**
 * The one Chromium of a test file: started at the first context a test asks for, closed after the
 * file's last test (the hook below is registered once, when a test file imports this module).
 */
let shared: Promise<Browser> | undefined;
const browser = () => {
  shared ??= launchChromium();
  return shared;
};
after(async () => {
  if (shared) await (await shared).close();
});

/** A phone: 390×844 CSS px at 3× density, touch, mobile viewport, Chinese. */
export async function phone(extra: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await (await browser()).newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    ...extra,
  });
  // An uncaught error in a page is a bug: say so next to the test that met it.
  context.on("weberror", (e) =>
    console.error(`uncaught in ${e.page()?.url()}: ${e.error().stack ?? e.error()}`),
  );
  return context;
}

/** The widget's frame inside the host page, once its form (or receipt) has rendered. */
export async function widgetFrame(page: Page): Promise<Frame> {
  const iframe = page.locator("iframe");
  await iframe.waitFor({ state: "attached" });
  const frame = await (await iframe.elementHandle())!.contentFrame();
  assert.ok(frame, "the iframe has a frame");
  await frame.waitForSelector("main h1");
  return frame;
}

export interface Opinion {
  kind: string;
  subject: string;
  body: string;
  contact?: string;
  name?: string;
  publish?: boolean;
}

/** A unique subject, so each test finds its own case in D1. */
export const uniqueSubject = (what: string) =>
  `${what} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Fills the opinion box as a thumb would: taps each field, then types. */
export async function fillByTapping(f: Frame | Page, o: Opinion): Promise<void> {
  await f.locator(`.choice:has(input[name="kind"][value="${o.kind}"])`).tap();
  for (const [name, value] of [
    ["subject", o.subject],
    ["body", o.body],
    ["name", o.name],
    ["contact", o.contact],
  ] as const) {
    if (value === undefined) continue;
    const el = f.locator(`[name="${name}"]`);
    await el.tap();
    await el.fill(value);
  }
  if (o.publish) await f.locator('.choice:has(input[name="publish"])').tap();
}

/**
 * Posts the page's form as a browser does without JavaScript (through `act`) and waits until the
 * page the server answered with has loaded; returns that answer.
 */
export async function plainPost(page: Page, act: () => Promise<unknown>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.request().isNavigationRequest()),
    page.waitForEvent("load"),
    act(),
  ]);
  return response;
}

/** The tracking code the receipt shows, without its dashes. */
export async function receiptCode(f: Frame | Page): Promise<string> {
  const text = (await f.locator(".receipt .code").textContent({ timeout: 20_000 })) ?? "";
  const code = text.replace(/-/g, "").trim();
  assert.match(code, /^[A-HJ-NP-Z2-9]{12}$/, `a readable tracking code (got "${text}")`);
  return code;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = (require("axe-core") as { source: string }).source;
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA) on what the page shows now and fails with a readable list.
 * The page's context needs `bypassCSP: true`: the widget's CSP (rightly) refuses inline scripts.
 */
export async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = (await page.evaluate(async (tags) => {
    const axe = (
      window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return r.violations;
  }, TAGS)) as AxeViolation[];
  const lines = violations.flatMap((v) =>
    v.nodes.map(
      (n) =>
        `  [${v.impact}] ${v.id}: ${v.help} — ${JSON.stringify(n.target)}\n    ${n.failureSummary ?? ""}`,
    ),
  );
  assert.equal(
    violations.length,
    0,
    `axe found ${violations.length} violation(s) on ${what}:\n${lines.join("\n")}`,
  );
}

export interface Target {
  what: string;
  width: number;
  height: number;
}

/**
 * Every tap target that shows: text inputs, textareas, buttons, links, and the labels that carry the
 * radio buttons and checkboxes (a choice is tapped anywhere on its label; a bare radio or checkbox
 * outside a label is measured itself).
 */
export function tapTargets(f: Frame | Page): Promise<Target[]> {
  return f.evaluate(() => {
    const out: { what: string; width: number; height: number }[] = [];
    const seen = new Set<Element>();
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().replace(/\s+/g, ".")}` : ""} "${(el.textContent ?? "").trim().slice(0, 24)}"`;
    for (const el of Array.from(
      document.querySelectorAll("input, textarea, select, button, a[href], label"),
    )) {
      let target: Element = el;
      if (el instanceof HTMLInputElement) {
        if (el.type === "hidden") continue;
        if (el.type === "radio" || el.type === "checkbox") target = el.closest("label") ?? el;
      }
      if (el instanceof HTMLLabelElement && !el.querySelector("input")) continue; // a caption, not a target
      if (seen.has(target)) continue;
      seen.add(target);
      const r = target.getBoundingClientRect();
      const style = getComputedStyle(target);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden") continue;
      out.push({ what: describe(target), width: r.width, height: r.height });
    }
    return out;
  });
}

export async function expectTapTargets(f: Frame | Page, min: number, what: string): Promise<void> {
  const targets = await tapTargets(f);
  assert.ok(targets.length > 0, `tap targets found on ${what}`);
  const small = targets.filter((t) => t.width < min - 0.5 || t.height < min - 0.5);
  assert.deepEqual(
    small.map((t) => `${t.what}: ${t.width.toFixed(1)}×${t.height.toFixed(1)}`),
    [],
    `every tap target on ${what} is at least ${min}×${min} px`,
  );
}

/** The smallest computed font size of any visible element that holds text directly. */
export async function textSizes(f: Frame | Page): Promise<{ what: string; size: number }[]> {
  return f.evaluate(() => {
    const out: { what: string; size: number }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !(n.textContent ?? "").trim()) continue;
      seen.add(el);
      if (el.closest("script, style, [hidden]") || el.getClientRects().length === 0) continue;
      out.push({
        what: `${el.tagName.toLowerCase()}.${el.className} "${(n.textContent ?? "").trim().slice(0, 20)}"`,
        size: Number.parseFloat(getComputedStyle(el).fontSize),
      });
    }
    return out;
  });
}

/** Rows from the e2e D1 (the Worker's own state, through wrangler d1 execute --persist-to). */
export function query(sql: string): Record<string, unknown>[] {
  return runSql(sql)[0] ?? [];
}

export function casesWithSubject(subject: string): Record<string, unknown>[] {
  return query(`SELECT id, tracking_code, subject, state FROM cases WHERE subject = ${lit(subject)}`);
}

/** Waits for a condition that settles over time (the widget's retries), polling. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  let last: T;
  do {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < end);
  assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

/** Staff work on a laptop or a tablet (admin.css: "laptop and tablet first"). */
export const DESKTOP = { name: "desktop", viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
export const TABLET = {
  name: "tablet",
  viewport: { width: 820, height: 1180 },
  deviceScaleFactor: 2,
  hasTouch: true,
};
export type StaffDevice = typeof DESKTOP | typeof TABLET;

/**
 * A staff member's browser on `device`, in Chinese. The admin pages' CSP refuses every script, so
 * axe-core gets in only with `bypassCSP: true`; a test of the CSP itself must leave it off.
 */
export async function staffContext(
  device: StaffDevice,
  extra: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const { name: _, ...options } = device;
  const context = await (await browser()).newContext({ locale: "zh-CN", ...options, ...extra });
  context.on("weberror", (e) =>
    console.error(`uncaught in ${e.page()?.url()}: ${e.error().stack ?? e.error()}`),
  );
  return context;
}

/** A unique staff e-mail address, so each test has accounts of its own. */
export const uniqueEmail = (what: string) =>
  `${what}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@demo.gov.cn`;

/**
 * Creates an account with the admin CLI (`user:create`, as an operator bootstraps a deployment) in
 * the e2e D1 (HUIYIN_PERSIST_TO) and returns the one-time password it prints on its last line.
 */
export function createUserWithCli(dept: string, email: string, role: string): string {
  const res = spawnSync(
    process.execPath,
    [join(ROOT, "scripts/admin.ts"), "user:create", dept, email, role],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: process.env,
    },
  );
  assert.equal(res.status, 0, `admin CLI user:create failed:\n${res.stdout}${res.stderr}`);
  const password = res.stdout.trim().split("\n").at(-1)!.trim();
  assert.match(password, /^\S{16}$/, `the CLI printed a one-time password (got "${password}")`);
  return password;
}

export interface SeededStaff {
  email: string;
  role: "admin" | "handler" | "appraiser" | "viewer";
  password: string;
}

/** Seeds accounts with known passwords (no forced change) in a department, with one SQL run. */
export async function seedStaff(dept: string, staff: SeededStaff[]): Promise<void> {
  const now = Date.now();
  const statements = await Promise.all(
    staff.map(async (s) => {
      const id = crypto.randomUUID();
      return `INSERT INTO users (id, email, name, password_hash, must_change_password, created_at) VALUES (${lit(id)}, ${lit(s.email)}, ${lit(s.email.split("@")[0])}, ${lit(await hashPassword(s.password))}, 0, ${now});
INSERT INTO memberships (user_id, dept_id, role, created_at) SELECT ${lit(id)}, id, ${lit(s.role)}, ${now} FROM departments WHERE slug = ${lit(dept)};`;
    }),
  );
  runSql(statements.join("\n"));
}

/** Fills the sign-in form and sends it; resolves once the page it leads to has loaded. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (!page.url().startsWith(`${WORKER}/admin/login`)) await page.goto(`${WORKER}/admin/login`);
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await plainPost(page, () => page.getByRole("button", { name: "登录" }).click());
  assert.ok(!page.url().startsWith(`${WORKER}/admin/login`), `${email} is signed in (at ${page.url()})`);
}
