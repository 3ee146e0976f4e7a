/**
 * The benchmarks' own local D1 states (`.wrangler/bench-state/<name>`), never the developer's.
 * Schema and the demo department go through `wrangler d1 … --local --persist-to` (the path every
 * script uses); bulk rows go straight into the SQLite file that workerd's D1 simulator keeps under
 * `<state>/v3/d1/miniflare-D1DatabaseObject/<hash>.sqlite`, opened with node:sqlite while no
 * `wrangler dev` is running on that state. Both end in the same file, so the Worker reads what we wrote.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { OPINION_KINDS } from "../../../forms/builtin/opinion.ts";
import {
  SEARCH_MOVE_SQL,
  SEARCH_READ_SQL,
  SEARCH_WRITE_SQL,
  searchWriteChunks,
  type UnindexedCase,
} from "../../../schema/search-catch-up.ts";
import { builtinFormsSql, departmentSql } from "../../lib/bootstrap-sql.ts";
import { wrangler } from "../../lib/d1.ts";
import { STATE_ROOT } from "./servers.ts";

export const DEMO_DEPT_ID = "00000000-0000-4000-8000-00000000de70";
export const statePath = (name: string) => join(STATE_ROOT, name);

const local = (persistTo: string, config?: string) => [
  ...(config ? ["--config", config] : []),
  "--local",
  "--persist-to",
  persistTo,
];

/** Runs SQL through `wrangler d1 execute --local --persist-to` and returns each statement's rows. */
export function d1Execute(
  persistTo: string,
  sql: string,
  opts: { config?: string; database?: string } = {},
): Record<string, unknown>[][] {
  const dir = mkdtempSync(join(tmpdir(), "huiyin-bench-sql-"));
  const file = join(dir, "run.sql");
  writeFileSync(file, sql);
  try {
    return d1ExecuteFile(persistTo, file, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function d1ExecuteFile(
  persistTo: string,
  file: string,
  opts: { config?: string; database?: string } = {},
): Record<string, unknown>[][] {
  const out = wrangler([
    "d1",
    "execute",
    opts.database ?? "DB",
    ...local(persistTo, opts.config),
    "--json",
    "--file",
    file,
  ]);
  const parsed = JSON.parse(out.slice(out.indexOf("["))) as { results?: Record<string, unknown>[] }[];
  return parsed.map((r) => r.results ?? []);
}

/** Applies Huiyin's migrations to a bench state; true when there were any to apply. */
export function d1Migrate(persistTo: string): boolean {
  const out = wrangler(["d1", "migrations", "apply", "DB", ...local(persistTo)]);
  return !out.includes("No migrations to apply");
}

/** The SQLite file of the (single) D1 database in a bench state. */
export function sqliteFile(persistTo: string): string {
  const dir = join(persistTo, "v3/d1/miniflare-D1DatabaseObject");
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    : [];
  if (files.length !== 1) throw new Error(`expected one D1 sqlite file in ${dir}, found ${files.length}`);
  return join(dir, files[0]!);
}

export function openSqlite(persistTo: string, readOnly = false): DatabaseSync {
  const db = new DatabaseSync(sqliteFile(persistTo), { readOnly });
  db.exec("PRAGMA busy_timeout = 10000");
  return db;
}

/** Migrates a state and gives it the demo department with its three forms (idempotent). */
export function bootstrapDemo(persistTo: string): void {
  d1Migrate(persistTo);
  d1Execute(
    persistTo,
    [
      departmentSql(DEMO_DEPT_ID, "demo", "示范市卫生健康委员会", [
        "http://localhost:*",
        "http://127.0.0.1:*",
      ]),
      builtinFormsSql("demo"),
    ].join("\n"),
  );
}

export function opinionFormId(db: DatabaseSync): string {
  const row = db.prepare("SELECT id FROM forms WHERE dept_id = ? AND slug = 'opinion'").get(DEMO_DEPT_ID) as
    | { id: string }
    | undefined;
  if (!row) throw new Error("the bench state has no demo opinion form");
  return row.id;
}

/** A second department with no cases, for staff who work in two departments. */
export const OTHER_DEPT_ID = "00000000-0000-4000-8000-0000000000ff";

export interface BenchTokens {
  /** A handler of the demo department. */
  handler: string;
  /** A handler of demo and of a second department. */
  multi: string;
  /** A system admin (every department). */
  admin: string;
}

/**
 * Staff with fresh API tokens (stored hashed, as `npm run admin -- token:create` does): a handler of
 * `demo`, a handler of `demo` and a second department, a system admin. Call while no Worker runs on
 * the state.
 */
export function createBenchStaff(db: DatabaseSync): BenchTokens {
  const now = Date.now();
  db.prepare(
    "INSERT INTO departments (id, slug, name) VALUES (?, 'bench-other', '基准测试二部') ON CONFLICT DO NOTHING",
  ).run(OTHER_DEPT_ID);
  const tokens: BenchTokens = { handler: "", multi: "", admin: "" };
  const roles: Record<keyof BenchTokens, string[]> = {
    handler: [DEMO_DEPT_ID],
    multi: [DEMO_DEPT_ID, OTHER_DEPT_ID],
    admin: [],
  };
  for (const who of ["handler", "multi", "admin"] as const) {
    const email = `bench-${who}@huiyin.invalid`;
    const existing = db.prepare("SELECT id FROM users WHERE email = ?").get(email) as
      | { id: string }
      | undefined;
    const userId = existing?.id ?? randomUUID();
    if (!existing) {
      db.prepare(
        "INSERT INTO users (id, email, name, password_hash, system_admin, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(userId, email, `bench ${who}`, "bench-no-password", who === "admin" ? 1 : 0, now);
    }
    for (const dept of roles[who]) {
      db.prepare(
        "INSERT INTO memberships (user_id, dept_id, role, created_at) VALUES (?, ?, 'handler', ?) ON CONFLICT DO NOTHING",
      ).run(userId, dept, now);
    }
    const token = `hy_${randomBytes(24).toString("base64url")}`;
    db.prepare(
      "INSERT INTO api_tokens (id, user_id, token_hash, name, expires_at, created_at) VALUES (?, ?, ?, 'bench', ?, ?)",
    ).run(randomUUID(), userId, createHash("sha256").update(token).digest("hex"), now + 86_400_000, now);
    tokens[who] = token;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Synthetic cases

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const PLACES = [
  "社区卫生服务中心",
  "人民医院",
  "疾控中心",
  "妇幼保健院",
  "中医院",
  "急救中心",
  "卫生监督所",
  "医保窗口",
];
const TOPICS = ["门诊时间", "挂号难", "收费标准", "疫苗接种", "排队时间", "停车", "网站信息", "报销流程"];
const FILLER =
  "希望有关部门能够尽快研究解决，方便群众办事。我们在办理过程中多次咨询，工作人员态度较好，但是流程说明不够清楚，网上也查不到相关的政策依据。";

/** Terms the search benchmark looks for, and how often the seed puts them into a body. */
export const SEARCH_TERMS = {
  /** In 1 body of `longEvery`. */
  long: "医疗机构监督",
  longEvery: 100,
  /** A topic of 1 case in 8: many matches. */
  common: "门诊时间",
  /** Two characters (a word, as most searches are), matching 1 case in 8. */
  short: "门诊",
  /** One character, in every case (the filler text). */
  one: "办",
  /** Two characters found nowhere. */
  miss: "蓝鲸",
  /** Five characters found nowhere, though each pair of them is common. */
  missLong: "门诊时监督",
} as const;

export interface SeedCase {
  id: string;
  trackingCode: string;
  state: string;
  category: string;
  subject: string;
  body: string;
  answers: string;
  replyText: string | null;
  repliedAt: number | null;
  published: number;
  publishedAt: number | null;
  dueDate: string;
  createdAt: number;
}

/** The i-th synthetic case (deterministic): newest first, one every `stepMs` before `newest`. */
export function seedCase(i: number, newest: number, stepMs: number, tag: string): SeedCase {
  let code = "";
  for (let n = i, k = 0; k < 10; k++, n = Math.floor(n / 32)) code = ALPHABET[n % 32] + code;
  const trackingCode = `${tag}${code}`.slice(0, 12).padEnd(12, "Z");
  const createdAt = newest - i * stepMs;
  const r = (i * 7919) % 10;
  const state = r === 0 ? "received" : r <= 2 ? "assigned" : r <= 5 ? "replied" : "closed";
  const category = OPINION_KINDS[i % OPINION_KINDS.length]!.value;
  const place = PLACES[i % PLACES.length]!;
  const topic = TOPICS[(i >> 3) % TOPICS.length]!;
  const subject = `关于${place}${topic}的${category === "consult" ? "咨询" : "建议"}（${i}）`;
  const term = i % SEARCH_TERMS.longEvery === 0 ? `，涉及${SEARCH_TERMS.long}结果公开` : "";
  const body = `我想反映${place}的${topic}问题${term}。${FILLER}`;
  const answered = state === "replied" || state === "closed";
  const repliedAt = answered ? createdAt + 2 * 86_400_000 : null;
  const published = state === "closed" && i % 3 === 0 ? 1 : 0;
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    trackingCode,
    state,
    category,
    subject,
    body,
    answers: JSON.stringify({ kind: category, subject, body, publish: published === 1 }),
    replyText: answered ? "感谢您的来信。我们已转相关单位核实处理，并将持续改进。" : null,
    repliedAt,
    published,
    publishedAt: published ? (repliedAt ?? createdAt) + 3_600_000 : null,
    dueDate: new Date(createdAt + 14 * 86_400_000).toISOString().slice(0, 10),
    createdAt,
  };
}

const CASE_COLUMNS =
  "id, dept_id, form_id, kind, tracking_code, state, category, subject, body, answers, consent_publish, published, due_date, reply_text, replied_at, published_at, lang, rev, created_at, updated_at";

/** Seed cases `from` ≤ i < `to`: case i is i steps of `stepMs` older than `newest`. */
export interface SeedRange {
  formId: string;
  from: number;
  to: number;
  newest: number;
  stepMs: number;
  tag: string;
  /** The oldest first, as cases arrive (rowids then grow with the creation time, as in the product). */
  arrival?: boolean;
}

/** The seed case written `k`-th (from ≤ k < to) in the range's order. */
const seedAt = (o: SeedRange, k: number): SeedCase =>
  seedCase(o.arrival ? o.to - 1 - (k - o.from) : k, o.newest, o.stepMs, o.tag);

/** Inserts a range of seed cases through node:sqlite (one transaction per 20 000 rows). */
export function insertCasesSqlite(db: DatabaseSync, o: SeedRange, progress?: (done: number) => void): void {
  const stmt = db.prepare(
    `INSERT INTO cases (${CASE_COLUMNS}) VALUES (?, ?, ?, 'opinion', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'zh-CN', 'seed', ?, ?)`,
  );
  const CHUNK = 20_000;
  for (let start = o.from; start < o.to; start += CHUNK) {
    db.exec("BEGIN");
    const end = Math.min(start + CHUNK, o.to);
    for (let k = start; k < end; k++) {
      const c = seedAt(o, k);
      stmt.run(
        c.id,
        DEMO_DEPT_ID,
        o.formId,
        c.trackingCode,
        c.state,
        c.category,
        c.subject,
        c.body,
        c.answers,
        c.published,
        c.published,
        c.dueDate,
        c.replyText,
        c.repliedAt,
        c.publishedAt,
        c.createdAt,
        c.repliedAt ?? c.createdAt,
      );
    }
    db.exec("COMMIT");
    progress?.(end - o.from);
  }
}

const q = (v: string | number | null) =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;

/** The same rows as SQL text (multi-row INSERTs of 50 rows), for `wrangler d1 execute --file`. */
export function casesSql(o: SeedRange): string {
  const out: string[] = [];
  for (let start = o.from; start < o.to; start += 50) {
    const rows: string[] = [];
    for (let k = start; k < Math.min(start + 50, o.to); k++) {
      const c = seedAt(o, k);
      rows.push(
        `(${[c.id, DEMO_DEPT_ID, o.formId, "opinion", c.trackingCode, c.state, c.category, c.subject, c.body, c.answers, c.published, c.published, c.dueDate, c.replyText, c.repliedAt, c.publishedAt, "zh-CN", "seed", c.createdAt, c.repliedAt ?? c.createdAt].map(q).join(",")})`,
      );
    }
    out.push(`INSERT INTO cases (${CASE_COLUMNS}) VALUES\n${rows.join(",\n")};`);
  }
  return out.join("\n");
}

/** Each seeded case's first timeline event, in one statement. */
export const SEED_EVENTS_SQL = `INSERT INTO case_events (case_id, dept_id, type, data, public, created_at)
SELECT id, dept_id, 'received', '{}', 1, created_at FROM cases WHERE rev = 'seed' AND id NOT IN (SELECT case_id FROM case_events)`;

/**
 * Brings the full-text index up to date as the Worker's catch-up does (schema/queries/search-index.ts),
 * with the same statements and the same separated texts, on the D1 file while no Worker runs on it.
 * Returns the number of cases indexed.
 */
export function catchUpSearchSqlite(db: DatabaseSync, progress?: (done: number) => void): number {
  const [, readNew, readChanged] = SEARCH_READ_SQL.map((q) => db.prepare(q));
  const writes = SEARCH_WRITE_SQL.map((q) => db.prepare(q));
  const move = db.prepare(SEARCH_MOVE_SQL);
  const BATCH = 5000;
  let done = 0;
  for (;;) {
    const fresh = readNew!.all(BATCH) as unknown as UnindexedCase[];
    const changed = readChanged!.all(BATCH) as unknown as UnindexedCase[];
    if (!fresh.length && !changed.length) return done;
    db.exec("BEGIN");
    for (const json of searchWriteChunks([...fresh, ...changed])) for (const w of writes) w.run(json);
    if (fresh.length) move.run(fresh.at(-1)!.r);
    db.exec("COMMIT");
    done += fresh.length + changed.length;
    if (done % 100_000 < BATCH) progress?.(done);
  }
}
