/**
 * `npm run bench`: Huiyin against the field, and its performance budgets (DESIGN §7).
 *
 *   npm run bench                              every benchmark, then BENCHMARKS.md
 *   npm run bench -- --only weight,usable      some of them (the others keep their last figures)
 *   npm run bench -- --only inbox --sizes 10000,100000
 *
 * Benchmarks: weight, usable (time to a usable form), submit (throughput and idempotency under
 * retries), inbox (the staff inbox at 10k–1M cases), cpu (CPU per request inside the Worker).
 * Comparisons are ratios taken in the same run; nothing here is asserted in a test.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../lib/d1.ts";
import { cpu } from "./cpu.ts";
import { inbox } from "./inbox.ts";
import {
  BENCH_IDS,
  type BenchId,
  loadNow,
  loadResults,
  machine,
  printSection,
  renderMarkdown,
  type Section,
  type SectionBody,
  saveResults,
} from "./lib/report.ts";
import { stopAllWorkers } from "./lib/servers.ts";
import { type Site, startSite } from "./lib/site.ts";
import { CLOSING, INTRO } from "./notes.ts";
import { submit } from "./submit.ts";
import { usable } from "./usable.ts";
import { weight } from "./weight.ts";

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    runs: { type: "string", default: "7" },
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    "retry-submissions": { type: "string", default: "1000" },
    sizes: { type: "string", default: "10000,100000,1000000" },
    "seed-via": { type: "string", default: "sqlite" },
    reseed: { type: "boolean", default: false },
    samples: { type: "string", default: "30" },
    "cpu-requests": { type: "string", default: "40" },
    out: { type: "string", default: "BENCHMARKS.md" },
    "no-write": { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`usage: npm run bench -- [options]
  --only LIST            ${BENCH_IDS.join(",")} (default: all)
  --runs N               time to usable: runs per page and network (default 7, median reported)
  --duration S           submissions: seconds per autocannon phase (default 5)
  --rounds N             submissions: alternating Huiyin/bare rounds, median ratio reported (default 5)
  --connections N        submissions: concurrent connections (default 50)
  --retry-submissions N  submissions: logical submissions in the retry phase (default 1000)
  --sizes LIST           inbox: case counts (default 10000,100000,1000000)
  --seed-via sqlite|wrangler  inbox: bulk-load with node:sqlite (default) or wrangler d1 execute --file
  --reseed               inbox: seed again even if a state with that size exists
  --samples N            inbox: requests per query (default 30)
  --cpu-requests N       cpu: profiled requests per endpoint (default 40)
  --out FILE             where to write (default BENCHMARKS.md); --no-write to only print
  --report-only          run nothing; rewrite BENCHMARKS.md from the last results (.bench/results.json)`);
  process.exit(0);
}

const only = (args.only ?? BENCH_IDS.join(","))
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const id of only) {
  if (!(BENCH_IDS as readonly string[]).includes(id)) {
    console.error(`unknown benchmark "${id}" (known: ${BENCH_IDS.join(", ")})`);
    process.exit(2);
  }
}

const num = (s: string | undefined, name: string) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
  return n;
};

export interface BenchOptions {
  runs: number;
  duration: number;
  rounds: number;
  connections: number;
  retrySubmissions: number;
  sizes: number[];
  seedVia: "sqlite" | "wrangler";
  reseed: boolean;
  samples: number;
  cpuRequests: number;
}

export interface BenchContext {
  opts: BenchOptions;
  /** The shared site fixture (started on first use, stopped at the end). */
  site(): Promise<Site>;
  log(message: string): void;
}

const opts: BenchOptions = {
  runs: Math.max(5, Math.round(num(args.runs, "runs"))),
  duration: num(args.duration, "duration"),
  rounds: Math.max(1, Math.round(num(args.rounds, "rounds"))),
  connections: Math.round(num(args.connections, "connections")),
  retrySubmissions: Math.round(num(args["retry-submissions"], "retry-submissions")),
  sizes: (args.sizes ?? "")
    .split(",")
    .map((s) => Math.round(num(s, "sizes")))
    .sort((a, b) => a - b),
  seedVia: args["seed-via"] === "wrangler" ? "wrangler" : "sqlite",
  reseed: args.reseed ?? false,
  samples: Math.round(num(args.samples, "samples")),
  cpuRequests: Math.round(num(args["cpu-requests"], "cpu-requests")),
};

let sitePromise: Promise<Site> | undefined;
const ctx: BenchContext = {
  opts,
  site: () => {
    sitePromise ??= startSite();
    return sitePromise;
  },
  log: (m) => console.log(`  ${m}`),
};

async function stopSite() {
  if (!sitePromise) return;
  const s = await sitePromise.catch(() => undefined);
  sitePromise = undefined;
  await s?.stop();
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    void Promise.all([stopSite(), stopAllWorkers()]).finally(() => process.exit(130));
  });
}

const BENCHES: Record<BenchId, (c: BenchContext) => Promise<SectionBody>> = {
  weight,
  usable,
  submit,
  inbox,
  cpu,
};

const command =
  process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`
    : `node scripts/bench/run.ts ${process.argv.slice(2).join(" ")}`.trim();

/** Run order: the benchmarks that share the site fixture first, then it is stopped (its ports are reused). */
const RUN_ORDER: BenchId[] = ["weight", "usable", "cpu", "submit", "inbox"];
const SITE_USERS: BenchId[] = ["weight", "usable"];

const results = loadResults();
let failed = false;
try {
  for (const id of RUN_ORDER.filter((b) => only.includes(b) && !args["report-only"])) {
    if (!SITE_USERS.includes(id)) await stopSite();
    console.log(`\n▶ ${id}`);
    const before = loadNow();
    const t0 = performance.now();
    try {
      const body = await BENCHES[id](ctx);
      const section: Section = {
        id,
        ...body,
        measuredAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        command,
        seconds: (performance.now() - t0) / 1000,
        load: { before, after: loadNow() },
        machine: machine(),
      };
      printSection(section);
      results[id] = section;
      // --no-write only prints: an experiment must not replace the figures BENCHMARKS.md is made from.
      if (!args["no-write"]) saveResults(results);
    } catch (error) {
      failed = true;
      console.error(`✗ ${id} failed: ${(error as Error).stack ?? error}`);
    }
  }
} finally {
  await stopSite();
}

if (!args["no-write"]) {
  const out = join(ROOT, args.out ?? "BENCHMARKS.md");
  writeFileSync(out, renderMarkdown(results, INTRO, CLOSING));
  console.log(`\nwrote ${out}`);
}
process.exit(failed ? 1 : 0);
