/**
 * What a benchmark hands back (tables, budgets, notes), the console table and BENCHMARKS.md.
 * Results are kept in .bench/results.json so that `--only x` refreshes one section and keeps the rest.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../lib/d1.ts";
import { BENCH_DIR } from "./servers.ts";

export const BENCH_IDS = ["weight", "usable", "submit", "inbox", "cpu"] as const;
export type BenchId = (typeof BENCH_IDS)[number];

export interface Table {
  caption?: string;
  head: string[];
  rows: string[][];
}

export interface Budget {
  name: string;
  limit: string;
  measured: string;
  status: "pass" | "fail" | "n/a";
  why?: string;
}

export interface Section {
  id: BenchId;
  title: string;
  measuredAt: string;
  command: string;
  seconds: number;
  /** os.loadavg() (1, 5, 15 min) before and after the benchmark. */
  load: { before: number[]; after: number[] };
  machine: Machine;
  tables: Table[];
  budgets: Budget[];
  /** Markdown paragraphs: method, findings, caveats. */
  notes: string[];
  raw?: unknown;
}

/** What a benchmark function returns; run.ts adds the bookkeeping. */
export type SectionBody = Pick<Section, "title" | "tables" | "budgets" | "notes" | "raw">;

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  tools: Record<string, string>;
}

function pkgVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, path), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

export function machine(extra: Record<string, string> = {}): Machine {
  const c = cpus();
  return {
    cpu: `${c[0]?.model ?? "?"}${c[0]?.speed ? ` @ ${c[0].speed} MHz` : ""}`,
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    tools: {
      wrangler: pkgVersion("node_modules/wrangler/package.json"),
      workerd: pkgVersion("node_modules/workerd/package.json"),
      "playwright-core": pkgVersion("node_modules/playwright-core/package.json"),
      autocannon: pkgVersion("node_modules/autocannon/package.json"),
      ...extra,
    },
  };
}

export const loadNow = () => loadavg().map((v) => Math.round(v * 100) / 100);

/** True when other work was competing for the CPU while we measured. */
export function underLoad(s: Pick<Section, "load" | "machine">): boolean {
  return Math.max(s.load.before[0] ?? 0, s.load.after[0] ?? 0) > s.machine.cores * 0.5;
}

// ---------------------------------------------------------------------------------------------
// Console

/** Terminal columns a string takes (CJK and full-width forms take two). */
function width(s: string): number {
  let w = 0;
  for (const ch of s)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
      ch,
    )
      ? 2
      : 1;
  return w;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? ""))));
  return rows
    .map((r) => r.map((cell, i) => cell + " ".repeat(widths[i]! - width(cell))).join("  "))
    .join("\n");
}

export function printSection(s: Section): void {
  console.log(`\n== ${s.title} (${s.seconds.toFixed(0)} s${underLoad(s) ? ", under concurrent load" : ""})`);
  for (const t of s.tables) {
    if (t.caption) console.log(`\n${t.caption}`);
    console.log(pad([t.head, t.head.map((h) => "-".repeat(width(h))), ...t.rows]));
  }
  if (s.budgets.length) {
    console.log("\nBudgets");
    console.log(
      pad([
        ["budget", "limit", "measured", "result"],
        ...s.budgets.map((b) => [b.name, b.limit, b.measured, b.status.toUpperCase()]),
      ]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Results file and BENCHMARKS.md

const RESULTS = join(BENCH_DIR, "results.json");

export function loadResults(): Partial<Record<BenchId, Section>> {
  if (!existsSync(RESULTS)) return {};
  try {
    return JSON.parse(readFileSync(RESULTS, "utf8")) as Partial<Record<BenchId, Section>>;
  } catch {
    return {};
  }
}

export function saveResults(results: Partial<Record<BenchId, Section>>): void {
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function mdTable(t: Table): string {
  const lines = [
    `| ${t.head.map(cell).join(" | ")} |`,
    `| ${t.head.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
  return `${t.caption ? `${t.caption}\n\n` : ""}${lines.join("\n")}`;
}

const mark = (b: Budget) => (b.status === "pass" ? "✅ pass" : b.status === "fail" ? "❌ fail" : "n/a");

export function renderMarkdown(
  results: Partial<Record<BenchId, Section>>,
  intro: string,
  closing: string,
): string {
  const sections = BENCH_IDS.map((id) => results[id]).filter((s): s is Section => s !== undefined);
  const out: string[] = [intro];

  const machines = new Map<string, Machine>();
  for (const s of sections) machines.set(JSON.stringify(s.machine), s.machine);
  out.push("## Machine");
  for (const m of machines.values()) {
    out.push(
      [
        `- CPU: ${m.cpu}, ${m.cores} logical cores; memory ${m.memoryGiB} GiB; ${m.os}`,
        `- Node ${m.node}; ${Object.entries(m.tools)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      ].join("\n"),
    );
  }

  out.push("## Budgets");
  out.push(
    mdTable({
      head: ["benchmark", "budget", "limit", "measured", "result"],
      rows: sections.flatMap((s) => s.budgets.map((b) => [s.title, b.name, b.limit, b.measured, mark(b)])),
    }),
  );
  const why = sections.flatMap((s) => s.budgets.filter((b) => b.why).map((b) => `- **${b.name}**: ${b.why}`));
  if (why.length) out.push(why.join("\n"));

  for (const s of sections) {
    out.push(`## ${s.title}`);
    const load = underLoad(s)
      ? ` **Measured under concurrent load** (other engineers' test runs: load average ${s.load.before[0]} before, ${s.load.after[0]} after, on ${s.machine.cores} cores) — treat absolute figures as noisy; the ratios were taken in the same run.`
      : ` Load average ${s.load.before[0]} before, ${s.load.after[0]} after (${s.machine.cores} cores).`;
    out.push(`Measured ${s.measuredAt} with \`${s.command}\` (${s.seconds.toFixed(0)} s).${load}`);
    for (const t of s.tables) out.push(mdTable(t));
    if (s.budgets.length) {
      out.push(
        mdTable({
          head: ["budget", "limit", "measured", "result"],
          rows: s.budgets.map((b) => [b.name, b.limit, b.measured, mark(b)]),
        }),
      );
    }
    for (const n of s.notes) out.push(n);
  }
  out.push(closing);
  return `${out.join("\n\n")}\n`;
}
