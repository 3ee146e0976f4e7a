/**
 * The inbox query (listCases) for every kind of scope against the real D1 of the vitest pool: one
 * department, several (one UNION ALL branch per department, merged in SQL), every department (a
 * system admin), and more departments than one statement can bind. Each listing is walked page by
 * page and compared with the order worked out here in JS from the seeded rows, with ties on the
 * creation instant inside and across departments; and the query plans are checked to be index
 * ranges in the inbox order, never a scan of the table or a sort of every matching case.
 */

import { env } from "cloudflare:test";
import { getTableColumns, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { formatTrackingCode } from "../../functions/lib/tracking-code.ts";
import { createDb } from "../db.ts";
import { SEARCH_MOVE_SQL, SEARCH_READ_SQL, SEARCH_WRITE_SQL } from "../search-catch-up.ts";
import { cases } from "../tables.ts";
import {
  type CaseFilter,
  type CaseRow,
  D1_MAX_COMPOUND_TERMS,
  D1_MAX_PARAMS,
  listCases,
  type NewCase,
  type Scope,
  searchCases,
} from "./cases.ts";

const A = "dept-a";
const B = "dept-b";
const C = "dept-c";
/** A department outside every scope below but the system admin's. */
const D = "dept-d";

const BASE = Date.parse("2026-03-02T01:00:00Z");
const STATES = ["received", "assigned", "replied", "closed"];
const LONG = "医疗机构监督";
const SHORT = "门诊"; // two characters, as most Chinese words staff search for
const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

const seeded: CaseRow[] = [];
/** Each seeded case's rowid: the order of arrival a search returns, newest first. */
const rowids = new Map<string, number>();

function trackingCode(i: number): string {
  let code = "";
  for (let n = i + 1000, k = 0; k < 10; k++, n = Math.floor(n / 32)) code = ALPHABET[n % 32] + code;
  return `TQ${code}`;
}

/** 66 cases: 20 in each of A, B, C and 6 in D; only nine distinct creation instants, so many ties. */
function seedRows(): NewCase[] {
  const rows: NewCase[] = [];
  const depts = [...Array<string>(20).fill(A), ...Array<string>(20).fill(B), ...Array<string>(20).fill(C)];
  depts.push(...Array<string>(6).fill(D));
  depts.forEach((deptId, i) => {
    const createdAt = BASE + ((i * 5) % 9) * 1000;
    const subject = i % 5 === 0 ? `关于${LONG}的建议 ${i}` : i % 7 === 0 ? `${SHORT}排队 ${i}` : `来信 ${i}`;
    rows.push({
      id: crypto.randomUUID(),
      deptId,
      formId: "f",
      kind: i % 4 === 0 ? "disclosure" : "opinion",
      trackingCode: trackingCode(i),
      state: STATES[i % STATES.length]!,
      subject,
      body: i % 11 === 0 ? `周末${SHORT}时间太短` : "社区卫生服务中心周末只开半天",
      // Found in a reply too.
      replyText: i % 9 === 0 ? `已转${LONG}机构处理` : null,
      answers: {},
      dueDate: "2026-03-20",
      createdAt,
      updatedAt: createdAt,
    });
  });
  return rows;
}

/** What a listing must return, worked out without SQL: the scope, the filters, newest first, id desc. */
function expected(scope: Scope, f: CaseFilter): CaseRow[] {
  return seeded
    .filter((r) => inScopeAndFilters(r, scope, f))
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}

function inScopeAndFilters(r: CaseRow, scope: Scope, f: CaseFilter): boolean {
  return (
    (scope.all || scope.deptIds.includes(r.deptId)) &&
    (!f.kind || r.kind === f.kind) &&
    (!f.state || r.state === f.state) &&
    (f.from === undefined || r.createdAt >= f.from) &&
    (f.to === undefined || r.createdAt <= f.to)
  );
}

/**
 * What a search must return: a tracking code's case alone when it is in scope and passes the filters;
 * otherwise every case whose subject, body or reply contains the string, newest arrival (rowid) first.
 */
function expectedSearch(scope: Scope, q: string, f: CaseFilter): CaseRow[] {
  const code = q.trim().replace(/[\s-]/g, "").toUpperCase();
  const hit = seeded.find((r) => r.trackingCode === code && inScopeAndFilters(r, scope, f));
  if (hit) return [hit];
  const text = q.trim();
  return seeded
    .filter(
      (r) =>
        inScopeAndFilters(r, scope, f) &&
        (r.subject.includes(text) || r.body.includes(text) || (r.replyText ?? "").includes(text)),
    )
    .sort((a, b) => rowids.get(b.id)! - rowids.get(a.id)!);
}

interface Statement {
  sql: string;
  params: unknown[];
}

const CATCH_UP: string[] = [...SEARCH_READ_SQL, ...SEARCH_WRITE_SQL, SEARCH_MOVE_SQL];

/**
 * The pool's D1, recording every statement drizzle binds (it binds each one, with or without
 * parameters). The full-text catch-up that precedes a search is not part of the listing: it is left
 * out here and its plan checked on its own below.
 */
function recordingD1(sink: Statement[]): D1Database {
  const real = env.DB;
  return new Proxy(real, {
    get(target, key) {
      if (key === "prepare") {
        return (sql: string) => {
          const stmt = target.prepare(sql);
          return new Proxy(stmt, {
            get(t, k) {
              if (k === "bind") {
                return (...params: unknown[]) => {
                  if (!CATCH_UP.includes(sql)) sink.push({ sql, params });
                  return t.bind(...params);
                };
              }
              const v = Reflect.get(t, k, t);
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Every page of a listing, `limit` at a time, each next page from the keyset of the last row. */
async function walk(scope: Scope, f: CaseFilter, limit = 7, sink: Statement[] = []) {
  const db = createDb(recordingD1(sink));
  const pages: CaseRow[][] = [];
  let cursor: { at: number; id: string } | undefined;
  for (;;) {
    const page = await listCases(db, scope, f, limit, cursor);
    pages.push(page);
    expect(pages.length).toBeLessThan(30);
    if (page.length < limit) return pages;
    const last = page.at(-1)!;
    cursor = { at: last.createdAt, id: last.id };
  }
}

/** Every page of a search, `limit` at a time, each next page after the last row's search key. */
async function walkSearch(scope: Scope, q: string, f: CaseFilter, limit = 7, sink: Statement[] = []) {
  const db = createDb(recordingD1(sink));
  const pages: CaseRow[][] = [];
  let after: number | undefined;
  for (;;) {
    const { rows, pending } = await searchCases(db, scope, q, f, limit, after);
    expect(pending).toBe(0);
    pages.push(rows.map(({ searchKey: _, ...r }) => r));
    expect(pages.length).toBeLessThan(30);
    if (rows.length < limit) return pages;
    after = rows.at(-1)!.searchKey;
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  if (items.length % size === 0) out.push([]);
  return out;
}

beforeAll(async () => {
  const db = createDb(env.DB);
  const rows = seedRows();
  // One row per statement: 23 columns a row, and D1 binds at most 100 parameters a statement.
  const [first, ...rest] = rows.map((r) => db.insert(cases).values(r));
  await db.batch([first!, ...rest]);
  const stored = await db
    .select({ ...getTableColumns(cases), rowid: sql<number>`rowid` })
    .from(cases)
    .all();
  for (const { rowid, ...r } of stored) {
    seeded.push(r);
    rowids.set(r.id, rowid);
  }
  expect(seeded).toHaveLength(66);
});

const SCOPES: [string, Scope][] = [
  ["{A}", { all: false, deptIds: [A] }],
  ["{A,B}", { all: false, deptIds: [A, B] }],
  ["{A,B,C}", { all: false, deptIds: [A, B, C] }],
  ["every department", { all: true }],
];

const FILTERS: [string, CaseFilter][] = [
  ["no filter", {}],
  ["state", { state: "received" }],
  ["kind", { kind: "disclosure" }],
  ["from/to", { from: BASE + 2000, to: BASE + 6000 }],
  ["everything at once", { state: "replied", kind: "opinion", from: BASE + 1000, to: BASE + 7000 }],
  ["everything, found nowhere", { state: "closed", kind: "disclosure", from: BASE + 1000, to: BASE + 1000 }],
];

const SEARCHES: [string, string, CaseFilter][] = [
  ["six characters", LONG, {}],
  ["two characters", SHORT, {}],
  ["one character", "周", {}],
  ["in replies only", "已转", {}],
  ["found nowhere", "图书馆", {}],
  ["one character found nowhere", "馆", {}],
  ["a tracking code", formatTrackingCode(trackingCode(25)), {}],
  ["a tracking code, lower case with spaces", ` ${trackingCode(30).toLowerCase()} `, {}],
  [
    "with every filter",
    "医疗机构",
    { state: "replied", kind: "opinion", from: BASE + 1000, to: BASE + 7000 },
  ],
  [
    "with filters that leave nothing",
    SHORT,
    { state: "closed", kind: "disclosure", from: BASE + 1000, to: BASE + 1000 },
  ],
];

describe("listCases: every scope returns what the naive query returns", () => {
  it("the seed has ties inside and across departments, and every filter selects something somewhere", () => {
    const byInstant = new Map<number, Set<string>>();
    for (const r of seeded)
      byInstant.set(r.createdAt, (byInstant.get(r.createdAt) ?? new Set()).add(r.deptId));
    expect(byInstant.size).toBe(9);
    expect([...byInstant.values()].every((depts) => depts.size >= 3)).toBe(true);
    for (const [name, f] of FILTERS.slice(0, -1)) {
      expect(expected({ all: false, deptIds: [A, B, C] }, f).length, name).toBeGreaterThan(0);
    }
    // All filters at once still select cases in each of A, B and C.
    const combined = expected({ all: true }, FILTERS.at(-2)![1]);
    const depts = new Set(combined.map((r) => r.deptId));
    expect([A, B, C].every((d) => depts.has(d))).toBe(true);
    expect(expected({ all: true }, FILTERS.at(-1)![1])).toEqual([]);
    for (const [name, q, f] of SEARCHES) {
      const found = expectedSearch({ all: false, deptIds: [A, B, C] }, q, f).length;
      if (name.includes("nowhere") || name.includes("leave nothing")) expect(found, name).toBe(0);
      else expect(found, name).toBeGreaterThan(0);
    }
    // Some cases are found only by their reply, and arrival order is not date order (so the
    // comparisons below tell the two apart).
    expect(expectedSearch({ all: true }, LONG, {}).some((r) => !r.subject.includes(LONG))).toBe(true);
    const byArrival = expectedSearch({ all: true }, SHORT, {}).map((r) => r.id);
    const byDate = expected({ all: true }, {})
      .filter((r) => byArrival.includes(r.id))
      .map((r) => r.id);
    expect(byArrival).not.toEqual(byDate);
  });

  for (const [scopeName, scope] of SCOPES) {
    for (const [filterName, f] of FILTERS) {
      it(`${scopeName}, ${filterName}: pages of 7 in order, without gaps or duplicates`, async () => {
        const want = expected(scope, f).map((r) => r.id);
        const pages = await walk(scope, f);
        expect(pages.map((p) => p.map((r) => r.id))).toEqual(chunk(want, 7));
      });
    }
  }

  for (const [scopeName, scope] of SCOPES) {
    for (const [searchName, q, f] of SEARCHES) {
      it(`${scopeName}, search ${searchName}: pages of 7 newest arrival first, without gaps or duplicates`, async () => {
        const want = expectedSearch(scope, q, f).map((r) => r.id);
        const pages = await walkSearch(scope, q, f);
        expect(pages.map((p) => p.map((r) => r.id))).toEqual(chunk(want, 7));
      });
    }
  }

  it("searches within more departments than D1 binds parameters, with one parameter for them all", async () => {
    const many = [...Array.from({ length: 147 }, (_, i) => `unit-${i}`), C, A, B];
    const sink: Statement[] = [];
    const pages = await walkSearch({ all: false, deptIds: many }, SHORT, {}, 7, sink);
    expect(pages.map((p) => p.map((r) => r.id))).toEqual(
      chunk(
        expectedSearch({ all: false, deptIds: [A, B, C] }, SHORT, {}).map((r) => r.id),
        7,
      ),
    );
    for (const st of sink) expect(st.params.length).toBeLessThanOrEqual(D1_MAX_PARAMS);
  });

  it("brings the index up to date before a first page only: a next page reads the index as it is", async () => {
    let batches = 0;
    const counting = new Proxy(env.DB, {
      get(target, key) {
        if (key === "batch") {
          return (statements: D1PreparedStatement[]) => {
            batches++;
            return target.batch(statements);
          };
        }
        const v = Reflect.get(target, key, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const db = createDb(counting);
    const first = await searchCases(db, { all: true }, SHORT, {}, 3);
    expect(batches).toBe(1); // the catch-up's read (nothing left to write)
    await searchCases(db, { all: true }, SHORT, {}, 3, first.rows.at(-1)!.searchKey);
    expect(batches).toBe(1);
  });

  it("returns whole rows, as a one-department listing does", async () => {
    const [one] = await walk({ all: false, deptIds: [A] }, {}, 100);
    const [many] = await walk({ all: false, deptIds: [A, B] }, {}, 100);
    const [all] = await walk({ all: true }, {}, 100);
    const byId = new Map(seeded.map((r) => [r.id, r]));
    for (const r of [...one!, ...many!, ...all!]) expect(r).toEqual(byId.get(r.id));
    expect(many!.some((r) => r.deptId === B)).toBe(true);
  });

  it("lists a department named twice once, and no department nothing", async () => {
    const twice = await walk({ all: false, deptIds: [B, A, B, A] }, {}, 100);
    expect(twice[0]!.map((r) => r.id)).toEqual(
      expected({ all: false, deptIds: [A, B] }, {}).map((r) => r.id),
    );
    expect(await walk({ all: false, deptIds: [] }, {})).toEqual([[]]);
    expect(await walk({ all: false, deptIds: ["no-such-dept", "nor-this-one"] }, {})).toEqual([[]]);
  });

  it("splits more departments than one statement can take into statements of five branches, 100 parameters at most", async () => {
    // A bureau's leadership over many units: A, B and C among 150 departments, most of them without cases.
    const many = [...Array.from({ length: 147 }, (_, i) => `unit-${i}`), C, A, B];
    for (const f of [{}, FILTERS.at(-3)![1], { state: "assigned" }]) {
      const sink: Statement[] = [];
      const scope: Scope = { all: false, deptIds: many };
      const pages = await walk(scope, f, 7, sink);
      expect(pages.map((p) => p.map((r) => r.id))).toEqual(
        chunk(
          expected({ all: false, deptIds: [A, B, C] }, f).map((r) => r.id),
          7,
        ),
      );
      // 150 departments: 30 statements of five branches per page, sent in one D1 batch. (Local D1
      // refuses a sixth compound term or a 101st parameter, as D1 does.)
      expect(sink).toHaveLength(pages.length * 30);
      for (const s of sink) {
        expect(s.params.length).toBeLessThanOrEqual(D1_MAX_PARAMS);
        expect(s.sql.match(/ union all /g)).toHaveLength(D1_MAX_COMPOUND_TERMS - 1);
      }
    }
  });
});

describe("listCases: query plans", () => {
  const PLAN_SCOPES: [string, Scope, number][] = [
    ["one department", { all: false, deptIds: [A] }, 1],
    ["two departments", { all: false, deptIds: [A, B] }, 2],
    ["three departments", { all: false, deptIds: [A, B, C] }, 3],
    ["a system admin", { all: true }, 1],
  ];
  const PLAN_QUERIES: [string, CaseFilter, boolean][] = [
    ["first page", {}, false],
    ["filtered page (state)", { state: "received" }, false],
    ["deep page (cursor)", {}, true],
    ["filtered page (kind) from/to", { kind: "opinion", from: BASE, to: BASE + 5000 }, false],
  ];

  it("the full-text catch-up before a search reads only the rowids past the index, and the queue", async () => {
    for (const [q, want] of [
      [SEARCH_READ_SQL[1], /SEARCH cases USING INTEGER PRIMARY KEY \(rowid>\?\)/],
      [SEARCH_READ_SQL[2], /SEARCH c USING INTEGER PRIMARY KEY \(rowid=\?\)/],
    ] as const) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q}`).bind(500).all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      expect(
        details.some((d) => want.test(d)),
        details.join("; "),
      ).toBe(true);
      expect(
        details.some((d) => /^SCAN (cases|c)\b/.test(d) || /TEMP B-TREE/.test(d)),
        details.join("; "),
      ).toBe(false);
    }
  });

  for (const [scopeName, scope] of [
    ...PLAN_SCOPES.map(([n, s]) => [n, s] as const),
    [
      "150 departments",
      { all: false, deptIds: [...Array.from({ length: 147 }, (_, i) => `unit-${i}`), A, B, C] },
    ],
  ] as const) {
    for (const [queryName, q, f, after] of [
      ["search", LONG, {}, undefined],
      ["search, one character, filtered, next page", "周", { state: "received" }, 40],
    ] as const) {
      it(`${scopeName}, ${queryName}: walks the index's matches newest first into cases by rowid, no sort`, async () => {
        const sink: Statement[] = [];
        await searchCases(createDb(recordingD1(sink)), scope as Scope, q, f as CaseFilter, 21, after);
        expect(sink).toHaveLength(1);
        const { sql: text, params } = sink[0]!;
        const plan = (
          await env.DB.prepare(`EXPLAIN QUERY PLAN ${text}`)
            .bind(...params)
            .all<{ detail: string }>()
        ).results.map((r) => r.detail);
        const why = plan.join("\n");
        // The index first (in rowid order: no sort of the matches), each match's case by rowid.
        expect(plan[0], why).toMatch(/^SCAN cases_fts VIRTUAL TABLE INDEX/);
        expect(plan[1], why).toBe("SEARCH cases USING INTEGER PRIMARY KEY (rowid=?)");
        expect(
          plan.filter((l) => /TEMP B-TREE|^SCAN cases\b/.test(l)),
          why,
        ).toEqual([]);
      });
    }
  }

  async function planOf(scope: Scope, f: CaseFilter, cursor: boolean): Promise<string[]> {
    const sink: Statement[] = [];
    const at = cursor ? { at: BASE + 4000, id: seeded[0]!.id } : undefined;
    await listCases(createDb(recordingD1(sink)), scope, f, 21, at);
    expect(sink).toHaveLength(1);
    const { sql, params } = sink[0]!;
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    return plan.results.map((r) => r.detail);
  }

  for (const [scopeName, scope, branches] of PLAN_SCOPES) {
    for (const [queryName, f, cursor] of PLAN_QUERIES) {
      it(`${scopeName}, ${queryName}: index ranges in the inbox order, no table scan, no sort`, async () => {
        const plan = await planOf(scope, f, cursor);
        const why = plan.join("\n");
        // A bare `SCAN cases` reads the whole table; `SCAN cases USING INDEX …` walks an index in the
        // ORDER BY's order and stops at the page's end (a system admin's first page).
        expect(
          plan.filter((l) => /^SCAN cases\b(?! USING INDEX)/.test(l)),
          why,
        ).toEqual([]);
        expect(
          plan.filter((l) => /TEMP B-TREE/.test(l)),
          why,
        ).toEqual([]);
        const reads = plan.filter((l) => /^(SEARCH|SCAN) cases /.test(l));
        expect(reads, why).toHaveLength(branches);
        for (const l of reads) {
          expect(l, why).toMatch(
            scope.all
              ? /USING INDEX cases_(created|state_created|kind_created)_idx/
              : /USING INDEX cases_dept_(created|state_created|kind_created)_idx \(dept_id=\?/,
          );
          if (cursor) expect(l, why).toMatch(/created_at<\?/);
        }
        if (branches > 1)
          expect(
            plan.filter((l) => l === "MERGE (UNION ALL)"),
            why,
          ).toHaveLength(branches - 1);
      });
    }
  }
});
