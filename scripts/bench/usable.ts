/**
 * 2. Time to a usable form: Chromium at 390×844 with the CPU slowed 4×, cold cache, with and without
 * slow 4G, timed from the host page's navigation start by the pages' own clocks
 * (performance.timeOrigin + performance.now in the host and in the frame).
 */
import type { Browser, Frame, Page } from "playwright-core";
import { launch, phoneContext, SLOW_4G, type Throttle, throttle } from "./lib/browser.ts";
import { SURVEYJS_INSTALL, SURVEYJS_VERSION } from "./lib/pages.ts";
import type { Budget, SectionBody, Table } from "./lib/report.ts";
import { median, ratio, x } from "./lib/stats.ts";
import type { BenchContext } from "./run.ts";

interface Variant {
  id: string;
  name: string;
  path: string;
  /** Where the form lives: the host document, a frame (URL part), or SurveyJS in the host. */
  doc: "host" | "frame" | "survey";
  frame?: string;
  /** Sequential requests before the form's document can arrive. */
  trips: string;
}

const VARIANTS: Variant[] = [
  { id: "empty", name: "Empty host page (no form)", path: "/empty.html", doc: "host", trips: "1: host" },
  {
    id: "bare",
    name: "Bare 300-byte form framed from another origin",
    path: "/bare.html",
    doc: "frame",
    frame: "/form.html",
    trips: "2: host → iframe",
  },
  {
    id: "widget",
    name: "Huiyin via embed.js (the documented tag)",
    path: "/widget.html",
    doc: "frame",
    frame: "/w/demo/opinion",
    trips: "3: host → embed.js → iframe",
  },
  {
    id: "widget-preconnect",
    name: "Huiyin via embed.js + <link rel=preconnect>",
    path: "/widget-preconnect.html",
    doc: "frame",
    frame: "/w/demo/opinion",
    trips: "3: host → embed.js → iframe",
  },
  {
    id: "widget-iframe",
    name: "Huiyin as <iframe> + async embed.js (sizing only)",
    path: "/widget-iframe.html",
    doc: "frame",
    frame: "/w/demo/opinion",
    trips: "2: host → iframe (embed.js alongside)",
  },
  {
    id: "surveyjs",
    name: `SurveyJS ${SURVEYJS_VERSION}, 10 questions, in the host page`,
    path: "/surveyjs.html",
    doc: "survey",
    trips: "2: host → CSS + 4 scripts",
  },
];

const CONDITIONS: { id: string; label: string; t: Throttle }[] = [
  { id: "cpu4", label: "4× CPU", t: { cpu: 4, slow4g: false } },
  { id: "slow4g", label: "4× CPU + slow 4G", t: { cpu: 4, slow4g: true } },
];

interface Sample {
  usable: number;
  hostResponseEnd: number;
  embedEnd: number;
  frameStart: number;
  docResponseEnd: number;
  fcp: number;
  ready: number;
}

interface DocTiming {
  origin: number;
  responseEnd: number;
  dcl: number;
  fcp: number;
  ready: number;
}

export async function usable(ctx: BenchContext): Promise<SectionBody> {
  const site = await ctx.site();
  const variants = VARIANTS.filter((v) => v.doc !== "survey" || site.surveyjs);
  const browser = await launch();
  const samples = new Map<string, Sample[]>();
  try {
    // One warm-up load of each (the Worker's isolate, Chromium's first start), then round-robin runs
    // so that noise from other work on the machine spreads over every variant alike.
    for (const v of variants) await load(browser, site.host, v, CONDITIONS[0]!.t);
    for (let run = 0; run < ctx.opts.runs; run++) {
      for (const c of CONDITIONS) {
        for (const v of variants) {
          const s = await load(browser, site.host, v, c.t);
          const key = `${v.id}|${c.id}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
        }
      }
      ctx.log(`run ${run + 1}/${ctx.opts.runs}`);
    }
  } finally {
    await browser.close();
  }

  const med = (v: string, c: string, k: keyof Sample) =>
    median((samples.get(`${v}|${c}`) ?? []).map((s) => s[k]));
  /**
   * Ratio to the bare form, paired by run: each run loads every page once, back to back, so the median
   * of the per-run ratios is less sensitive to load from other work on the machine than a ratio of medians.
   */
  const vsBare = (v: string, c: string, k: keyof Sample) => {
    const a = samples.get(`${v}|${c}`) ?? [];
    const b = samples.get(`bare|${c}`) ?? [];
    return median(a.map((s, i) => ratio(s[k], b[i]?.[k] ?? Number.NaN)));
  };
  const main: Table = {
    caption: `Time to a usable form, median of ${ctx.opts.runs} cold loads (ms from the host page's navigation start). Usable = painted and its script has run. ÷ bare: median of the per-run ratios to the bare framed form (each run loads every page once, back to back)`,
    head: ["page", "sequential requests", ...CONDITIONS.flatMap((c) => [c.label, "÷ bare"])],
    rows: variants.map((v) => [
      v.name,
      v.trips,
      ...CONDITIONS.flatMap((c) => [med(v.id, c.id, "usable").toFixed(0), x(vsBare(v.id, c.id, "usable"))]),
    ]),
  };
  const painted: Table = {
    caption:
      "The server-rendered forms can be typed into and posted as soon as they are painted (they work without JavaScript): first contentful paint of the form's document, median, and ratio to the bare form",
    head: ["page", ...CONDITIONS.flatMap((c) => [c.label, "÷ bare"])],
    rows: variants
      .filter((v) => v.doc === "frame")
      .map((v) => [
        v.name,
        ...CONDITIONS.flatMap((c) => [med(v.id, c.id, "fcp").toFixed(0), x(vsBare(v.id, c.id, "fcp"))]),
      ]),
  };
  const waterfalls: Table[] = CONDITIONS.map((c) => ({
    caption: `Where the time goes, ${c.label} (medians, ms from the host's navigation start)`,
    head: [
      "page",
      "host HTML received",
      "embed.js received",
      "form document requested",
      "form document received",
      "form painted",
      "form script done",
    ],
    rows: variants
      .filter((v) => v.doc === "frame")
      .map((v) => {
        const f = (k: keyof Sample) => {
          const m = med(v.id, c.id, k);
          return Number.isFinite(m) && m > 0 ? m.toFixed(0) : "—";
        };
        return [
          v.name,
          f("hostResponseEnd"),
          f("embedEnd"),
          f("frameStart"),
          f("docResponseEnd"),
          f("fcp"),
          f("ready"),
        ];
      }),
  }));

  const budgets: Budget[] = CONDITIONS.map((c) => {
    const r = vsBare("widget", c.id, "usable");
    return {
      name: `time to usable, embed.js tag ÷ bare framed form (${c.label})`,
      limit: "≤ 1.5×",
      measured: x(r),
      status: r <= 1.5 ? "pass" : "fail",
    };
  });
  for (const c of CONDITIONS) {
    const r = vsBare("widget-iframe", c.id, "usable");
    budgets.push({
      name: `time to usable, <iframe> embed ÷ bare framed form (${c.label})`,
      limit: "≤ 1.5×",
      measured: x(r),
      status: r <= 1.5 ? "pass" : "fail",
    });
  }

  const notes = [
    `**Method.** Each load is a new browser context (cold HTTP cache, new connections) at 390×844 (3× density, touch) with Emulation.setCPUThrottlingRate 4 and, for slow 4G, Network.emulateNetworkConditions (latency ${SLOW_4G.latency} ms, ${(SLOW_4G.downloadThroughput * 8) / 1e6} Mbit/s down, ${(SLOW_4G.uploadThroughput * 8) / 1000} kbit/s up). Site isolation is off so that the cross-origin frame shares the host's renderer (as on Android Chrome) and the throttles reach it. Huiyin runs in \`wrangler dev\` behind a gzip proxy (Cloudflare compresses at the edge, wrangler dev does not); the host pages, the bare form and SurveyJS come from a local static server that gzips too.`,
    "**Usable** = the later of the form document's first contentful paint and the moment its script has run: DOMContentLoaded for the server-rendered forms (the widget's script is inline at the end of the body, so it has run by then), the first animation frame after SurveyJS's onAfterRenderSurvey for SurveyJS. Frame times are put on the host's clock through performance.timeOrigin (one browser, one clock).",
    "DevTools network emulation adds its latency to every request but does not model DNS, TCP or TLS set-up, so on a real phone every extra origin and every extra sequential request costs more than shown here (a new HTTPS connection is 2–3 round trips before the first byte).",
  ];
  if (!site.surveyjs) notes.push(`SurveyJS not measured: install it with \`${SURVEYJS_INSTALL}\`.`);
  return {
    title: "2. Time to a usable form",
    tables: [main, painted, ...waterfalls],
    budgets,
    notes,
    raw: Object.fromEntries(samples),
  };
}

async function load(browser: Browser, host: string, v: Variant, t: Throttle): Promise<Sample> {
  const context = await phoneContext(browser);
  try {
    const page = await context.newPage();
    await throttle(page, t);
    await page.goto(`${host}${v.path}`, { waitUntil: "load", timeout: 120_000 });
    const hostT = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const embed = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).find((r) =>
        r.name.includes("/embed.js"),
      );
      return {
        origin: performance.timeOrigin,
        responseEnd: nav.responseEnd,
        embedEnd: embed?.responseEnd ?? 0,
      };
    });
    const target = v.doc === "frame" ? await frameOf(page, v.frame!) : page.mainFrame();
    const doc = await docTiming(target, v.doc === "survey");
    const shift = doc.origin - hostT.origin;
    return {
      usable: shift + Math.max(doc.fcp, doc.ready),
      hostResponseEnd: hostT.responseEnd,
      embedEnd: hostT.embedEnd,
      frameStart: v.doc === "frame" ? shift : 0,
      docResponseEnd: shift + doc.responseEnd,
      fcp: shift + doc.fcp,
      ready: shift + doc.ready,
    };
  } finally {
    await context.close();
  }
}

async function frameOf(page: Page, part: string): Promise<Frame> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const f = page.frames().find((fr) => fr.url().includes(part));
    if (f) return f;
    if (Date.now() > deadline) throw new Error(`no frame ${part}`);
    await page.waitForTimeout(20);
  }
}

/** The form document's timings, once it has painted and its script has run. */
async function docTiming(frame: Frame, survey: boolean): Promise<DocTiming> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const t = await frame.evaluate((isSurvey) => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      const mark = (window as unknown as { __usable?: number }).__usable;
      if (!nav || nav.domContentLoadedEventEnd === 0 || !fcp || (isSurvey && mark === undefined)) return null;
      return {
        origin: performance.timeOrigin,
        responseEnd: nav.responseEnd,
        dcl: nav.domContentLoadedEventEnd,
        fcp: fcp.startTime,
        ready: isSurvey ? mark! : nav.domContentLoadedEventEnd,
      };
    }, survey);
    if (t) return t;
    if (Date.now() > deadline) throw new Error(`the form in ${frame.url()} never became usable`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
