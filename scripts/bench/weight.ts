/**
 * 1. Weight: every byte a phone downloads to show a form, captured from Chromium's network events on
 * a host page (the host page itself excluded), each response body counted as gzip -9.
 */
import { gzipSync } from "node:zlib";
import type { Page, Response } from "playwright-core";
import { launch, phoneContext } from "./lib/browser.ts";
import { SURVEYJS_INSTALL, SURVEYJS_VERSION } from "./lib/pages.ts";
import type { Budget, SectionBody, Table } from "./lib/report.ts";
import { PORTS } from "./lib/servers.ts";
import { kb } from "./lib/stats.ts";
import type { BenchContext } from "./run.ts";

interface Fetched {
  url: string;
  status: number;
  raw: number;
  gzip: number;
}

interface Case {
  name: string;
  path: string;
  budget?: number;
  /** Which frame holds the form, to wait for (none: the host page itself). */
  frame?: string;
  note?: string;
}

const KB = 1024;

export async function weight(ctx: BenchContext): Promise<SectionBody> {
  const site = await ctx.site();
  const cases: Case[] = [
    { name: "Huiyin opinion box (意见箱)", path: "/widget.html", budget: 12 * KB, frame: "/w/demo/opinion" },
    {
      name: "Huiyin satisfaction (测评)",
      path: "/widget-satisfaction.html",
      budget: 16 * KB,
      frame: "/w/demo/satisfaction",
      note: "coming soon: measured as it is today (a notice, no form)",
    },
    {
      name: "Huiyin disclosure (依申请公开)",
      path: "/widget-disclosure.html",
      budget: 16 * KB,
      frame: "/w/demo/disclosure",
      note: "coming soon: measured as it is today (a notice, no form)",
    },
  ];
  if (site.surveyjs) {
    cases.push({ name: `SurveyJS ${SURVEYJS_VERSION}, 10 questions`, path: "/surveyjs.html" });
  }

  const browser = await launch();
  const summary: Table = {
    caption: "Bytes to show the form (gzip -9 of each response body; 1 KB = 1024 B; host page excluded)",
    head: ["form", "requests", "raw", "gzip -9", "budget", "vs opinion box"],
    rows: [],
  };
  const detail: Table = {
    caption: "Each request",
    head: ["form", "request", "status", "raw", "gzip -9"],
    rows: [],
  };
  const budgets: Budget[] = [];
  const raw: Record<string, Fetched[]> = {};
  let opinionTotal = 0;
  let interaction: Fetched[] = [];
  try {
    for (const c of cases) {
      const context = await phoneContext(browser);
      const page = await context.newPage();
      const got = await capture(page, `${site.host}${c.path}`, c.frame);
      if (c.path === "/widget.html") interaction = await firstTap(page);
      await context.close();
      raw[c.name] = got;
      const total = got.reduce((s, f) => s + f.gzip, 0);
      if (c.path === "/widget.html") opinionTotal = total;
      summary.rows.push([
        c.note ? `${c.name} — ${c.note}` : c.name,
        String(got.length),
        kb(got.reduce((s, f) => s + f.raw, 0)),
        kb(total),
        c.budget ? `≤ ${kb(c.budget)}` : "—",
        opinionTotal ? `${(total / opinionTotal).toFixed(1)}×` : "—",
      ]);
      for (const f of got) {
        detail.rows.push([c.name, shortUrl(f.url), String(f.status), `${f.raw} B`, `${f.gzip} B`]);
      }
      if (c.budget) {
        budgets.push({
          name: `weight: ${c.name}`,
          limit: `≤ ${kb(c.budget)}`,
          measured: kb(total),
          status: total <= c.budget ? "pass" : "fail",
          ...(c.note ? { why: `${c.note}; the budget applies once the form exists` } : {}),
        });
      }
    }
  } finally {
    await browser.close();
  }
  for (const f of interaction) {
    detail.rows.push([
      "opinion box, on the first tap (not counted)",
      shortUrl(f.url),
      String(f.status),
      `${f.raw} B`,
      `${f.gzip} B`,
    ]);
  }

  const notes = [
    "**Method.** A fresh Chromium context (cold cache) opens the department's host page; every response the page and its frames receive is recorded from Playwright's network events, except the host page's own document. Each body is gzipped at level 9 and counted, whatever the server sent. The page is considered shown when the form's document has loaded and the network has been idle for 500 ms. The widget's proof-of-work challenge is fetched on the first focus, not to show the form: it is listed separately and not counted.",
  ];
  if (!site.surveyjs) {
    notes.push(
      `SurveyJS was not measured: it is not installed. Install it (bench-only) with \`${SURVEYJS_INSTALL}\`.`,
    );
  } else {
    notes.push(
      `SurveyJS ${SURVEYJS_VERSION} (survey-core + survey-js-ui + survey-core.min.css + the zh-CN strings, self-hosted on the host's origin) renders the same kind of form with 10 questions; its definition and start-up code are in one small script (/sjs/boot.js) so that it is counted like everything else.`,
    );
  }
  return { title: "1. Weight", tables: [summary, detail], budgets, notes, raw };
}

function shortUrl(url: string): string {
  const u = new URL(url);
  const who = u.port === String(PORTS.host) ? "host" : u.port === String(PORTS.other) ? "other" : "huiyin";
  return `${who}:${u.pathname}`;
}

async function capture(page: Page, url: string, frame?: string): Promise<Fetched[]> {
  const pending: Promise<Fetched | null>[] = [];
  let last = Date.now();
  const onRequest = () => {
    last = Date.now();
  };
  const onResponse = (r: Response) => {
    last = Date.now();
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) return;
    pending.push(measure(r));
  };
  page.on("request", onRequest);
  page.on("response", onResponse);
  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  if (frame) {
    const deadline = Date.now() + 30_000;
    while (!page.frames().some((f) => f.url().includes(frame))) {
      if (Date.now() > deadline) throw new Error(`no frame ${frame} on ${url}`);
      await page.waitForTimeout(50);
    }
    await page
      .frames()
      .find((f) => f.url().includes(frame))!
      .waitForLoadState("load");
  }
  // Quiet for 500 ms: nothing more is coming to show the form.
  while (Date.now() - last < 500) await page.waitForTimeout(100);
  page.off("response", onResponse);
  page.off("request", onRequest);
  return (await Promise.all(pending)).filter((f): f is Fetched => f !== null);
}

async function measure(r: Response): Promise<Fetched | null> {
  try {
    const body = await r.body();
    return { url: r.url(), status: r.status(), raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  } catch {
    return { url: r.url(), status: r.status(), raw: 0, gzip: 0 };
  }
}

/** What the widget fetches when the citizen first taps a field (the proof-of-work challenge). */
async function firstTap(page: Page): Promise<Fetched[]> {
  const frame = page.frames().find((f) => f.url().includes("/w/demo/opinion"));
  if (!frame) return [];
  const pending: Promise<Fetched | null>[] = [];
  const onResponse = (r: Response) => {
    pending.push(measure(r));
  };
  page.on("response", onResponse);
  const challenge = page
    .waitForResponse((r) => r.url().includes("/api/v1/challenge"), { timeout: 10_000 })
    .catch(() => null);
  await frame.focus("input[name=subject]");
  await challenge;
  await page.waitForTimeout(200);
  page.off("response", onResponse);
  return (await Promise.all(pending)).filter((f): f is Fetched => f !== null);
}
