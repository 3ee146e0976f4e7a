/**
 * Running SQL on the local D1 (the one `npm start` serves) or, with `remote`, on the deployed one,
 * through wrangler. Works while the dev server runs: both open the same SQLite file.
 * HUIYIN_PERSIST_TO (a directory) points the local commands at another local state than the default
 * `.wrangler/state`, as the browser tests do (`wrangler dev --persist-to` the same directory).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A SQL literal: strings quoted with '' doubled, numbers as they are, null as NULL. */
export function lit(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("not a finite number");
    return String(value);
  }
  if (typeof value === "boolean") return value ? "1" : "0";
  return `'${value.replace(/'/g, "''")}'`;
}

export function wrangler(args: string[], opts: { quiet?: boolean } = {}): string {
  const res = spawnSync(join(ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) {
    if (!opts.quiet) process.stderr.write(res.stdout + res.stderr);
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (exit ${res.status})`);
  }
  return res.stdout;
}

/** Where local commands act: the default local state, or HUIYIN_PERSIST_TO's; remote: the deployed D1. */
function target(remote: boolean): string[] {
  if (remote) return ["--remote"];
  const dir = process.env.HUIYIN_PERSIST_TO;
  return dir ? ["--local", "--persist-to", dir] : ["--local"];
}

/** Runs statements (a transaction per file in D1) and returns the rows of each statement. */
export function runSql(sql: string, remote = false): Record<string, unknown>[][] {
  const dir = mkdtempSync(join(tmpdir(), "huiyin-sql-"));
  const file = join(dir, "run.sql");
  writeFileSync(file, sql);
  try {
    const out = wrangler(["d1", "execute", "DB", ...target(remote), "--json", "--file", file]);
    const parsed = JSON.parse(out.slice(out.indexOf("["))) as { results?: Record<string, unknown>[] }[];
    return parsed.map((r) => r.results ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function migrate(remote = false): void {
  wrangler(["d1", "migrations", "apply", "DB", ...target(remote)]);
}
