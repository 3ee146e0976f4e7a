import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "./db.ts";
import { catchUpSearchIndex } from "./queries/search-index.ts";
import {
  SEARCH_MOVE_SQL,
  SEARCH_READ_SQL,
  SEARCH_SEPARATOR,
  SEARCH_WRITE_SQL,
  searchPhrase,
  searchText,
  searchWriteChunks,
  type UnindexedCase,
} from "./search-catch-up.ts";

const db = () => createDb(env.DB);

describe("searchText and searchPhrase: every character between separators", () => {
  const S = SEARCH_SEPARATOR;
  it.each([
    ["门诊", `${S}门${S}诊${S}`],
    ["a b", `${S}a${S} ${S}b${S}`],
    ["𠀀字", `${S}𠀀${S}字${S}`], // a character outside the BMP stays one character
    [`门${S}诊`, `${S}门${S}诊${S}`], // the separator itself is never stored
    ["", ""],
  ])("stores %j as %j", (text, stored) => {
    expect(searchText(text)).toBe(stored);
  });
  it("stores nothing for a missing text", () => {
    expect(searchText(null)).toBe("");
  });
  it.each([
    ["门", `"${S}门${S}"`], // one character: its own token
    ["门诊", `"门${S}诊"`], // two: the one pair
    [" 门诊时 ", `"门${S}诊${S}时"`], // trimmed; three: pair, character, pair
    ['说"好"', `"说${S}""${S}好${S}"""`], // quotes doubled inside the FTS5 phrase
    ["  ", null],
    [S, null],
  ])("searches %j as %j", (q, phrase) => {
    expect(searchPhrase(q)).toBe(phrase);
  });
});

describe("migrations: search index and append-only logs", () => {
  const match = async (text: string) =>
    (
      await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?")
        .bind(searchPhrase(text))
        .all()
    ).results.length;
  const insertCase = (id: string, code: string, body: string) =>
    env.DB.prepare(
      `INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, subject, body, answers, due_date, created_at, updated_at) VALUES ('${id}','d','f','opinion','${code}','received','周末门诊','${body}','{}','2026-12-01',1,1)`,
    ).run();
  /** FTS5's own check of its index structures (the index is contentless: there is no copy to compare). */
  const integrity = () =>
    env.DB.prepare("INSERT INTO cases_fts(cases_fts, rank) VALUES ('integrity-check', 0)").run();
  const state = () =>
    env.DB.prepare(
      "SELECT upto, (SELECT max(rowid) FROM cases) AS newest, (SELECT count(*) FROM search_reindex) AS queued FROM search_index_state",
    ).first<{ upto: number; newest: number; queued: number }>();

  it("finds substrings of one, two and more characters once the index catches up", async () => {
    await insertCase("c1", "AAAAAAAAAAAA", "社区卫生服务中心周末只开半天");
    // A new case is not indexed by its own insert (migration 0005) …
    expect(await match("服务中心")).toBe(0);
    // … but by the catch-up that every search and the scheduled worker run first.
    expect(await catchUpSearchIndex(db())).toEqual({ indexed: 1, pending: 0 });
    for (const found of ["服务中心", "周末", "卫", "社区卫生服务中心周末只开半天", "门诊"]) {
      expect(await match(found), found).toBe(1);
    }
    for (const absent of ["图书馆", "医保", "馆", "半天只开", "中心服"])
      expect(await match(absent), absent).toBe(0);
    expect(await catchUpSearchIndex(db())).toEqual({ indexed: 0, pending: 0 });
    // A reply changes an indexed case: queued, and indexed anew by the next catch-up.
    await env.DB.prepare("UPDATE cases SET reply_text = '已延长至下午五点' WHERE id = 'c1'").run();
    expect((await state())?.queued).toBe(1);
    expect(await catchUpSearchIndex(db())).toEqual({ indexed: 1, pending: 0 });
    expect(await match("下午五点")).toBe(1);
    expect(await match("服务中心")).toBe(1);
    expect((await state())?.queued).toBe(0);
    // A changed text replaces the old one.
    await env.DB.prepare("UPDATE cases SET body = '图书馆周一闭馆' WHERE id = 'c1'").run();
    await catchUpSearchIndex(db());
    expect(await match("服务中心")).toBe(0);
    expect(await match("闭馆")).toBe(1);
    await integrity();
    await env.DB.prepare("DELETE FROM cases WHERE id = 'c1'").run();
  });

  it("keeps the index whole when a case changes or goes before it was indexed", async () => {
    await insertCase("c2", "BBBBBBBBBBBB", "老年人办理医保卡需要排队很久");
    await insertCase("c3", "CCCCCCCCCCCC", "停车场收费标准没有公示");
    // Changed before it was indexed: nothing queued; indexed with its current text later.
    await env.DB.prepare("UPDATE cases SET reply_text = '已开设老年人专窗' WHERE id = 'c2'").run();
    expect((await state())?.queued).toBe(0);
    // The newest case goes before it was indexed, and a new one takes its rowid.
    await env.DB.prepare("DELETE FROM cases WHERE id = 'c3'").run();
    await insertCase("c4", "DDDDDDDDDDDD", "图书馆周一闭馆不方便");
    await integrity();
    await catchUpSearchIndex(db());
    expect(await match("老年人专窗")).toBe(1);
    expect(await match("停车场")).toBe(0);
    expect(await match("周一闭馆")).toBe(1);
    await integrity();
    // An indexed case that goes takes its entries with it, and the rowid it leaves is indexed anew.
    await env.DB.prepare("DELETE FROM cases WHERE id = 'c4'").run();
    expect(await match("周一闭馆")).toBe(0);
    await insertCase("c5", "EEEEEEEEEEEE", "公交站台没有遮雨棚");
    await catchUpSearchIndex(db());
    expect(await match("遮雨棚")).toBe(1);
    expect(await match("闭馆")).toBe(0);
    await integrity();
  });

  it("does not index a case from a copy read before it changed: it queues it instead", async () => {
    await insertCase("c6", "FFFFFFFFFFFF", "路灯晚上不亮");
    const [, fresh] = await env.DB.batch<UnindexedCase>([
      env.DB.prepare(SEARCH_READ_SQL[0]),
      env.DB.prepare(SEARCH_READ_SQL[1]).bind(100),
    ]);
    const read = fresh!.results;
    expect(read.map((r) => r.id)).toContain("c6");
    // Staff reply between the read and the write (a new rev, as every change through the app).
    await env.DB.prepare("UPDATE cases SET reply_text = '已修复', rev = 'r2' WHERE id = 'c6'").run();
    const [json] = searchWriteChunks(read);
    await env.DB.batch([
      ...SEARCH_WRITE_SQL.map((q) => env.DB.prepare(q).bind(json)),
      env.DB.prepare(SEARCH_MOVE_SQL).bind(read.at(-1)!.r),
    ]);
    expect(await match("路灯")).toBe(0);
    expect((await state())?.queued).toBe(1);
    await catchUpSearchIndex(db());
    expect(await match("路灯")).toBe(1);
    expect(await match("已修复")).toBe(1);
    expect((await state())?.queued).toBe(0);
    await integrity();
  });

  it("catches up a backlog in bounded batches, and stops at a limit saying how much is left", async () => {
    for (let i = 0; i < 7; i++)
      await insertCase(`b${i}`, `BACKLOG${i}AAAAA`.slice(0, 12), `积压来信第${i}号内容`);
    expect(await catchUpSearchIndex(db(), { batch: 3, maxCases: 3 })).toEqual({ indexed: 3, pending: 4 });
    expect(await match("信第3号")).toBe(0);
    expect(await catchUpSearchIndex(db(), { batch: 3 })).toEqual({ indexed: 4, pending: 0 });
    for (let i = 0; i < 7; i++) expect(await match(`信第${i}号`)).toBe(1);
    const s = await state();
    expect(s?.upto).toBe(s?.newest);
    await integrity();
  });

  it("lets two catch-ups run at once (two staff searching) without losing or doubling an entry", async () => {
    for (let i = 0; i < 12; i++)
      await insertCase(`p${i}`, `PAR${String(i).padStart(9, "A")}`, `并发检索第${i}号`);
    const [a, b] = await Promise.all([
      catchUpSearchIndex(db(), { batch: 5 }),
      catchUpSearchIndex(db(), { batch: 5 }),
    ]);
    expect(a.indexed + b.indexed).toBeGreaterThanOrEqual(12);
    for (let i = 0; i < 12; i++) expect(await match(`检索第${i}号`), `case ${i}`).toBe(1);
    const s = await state();
    expect(s?.upto).toBe(s?.newest);
    await integrity();
  });

  it("indexes letters of the longest length through several writes", async () => {
    // 70 bodies of 5,000 characters: about 700,000 characters once separated, three writes.
    const filler = "群众反映医保报销流程复杂需要多次往返窗口";
    for (let i = 0; i < 70; i++) {
      const body = `${`第${i}封长信`}${filler.repeat(250)}`.slice(0, 5000);
      await insertCase(`long${i}`, `LONG${String(i).padStart(8, "A")}`.slice(0, 12), body);
    }
    expect((await catchUpSearchIndex(db())).indexed).toBe(70);
    for (const i of [0, 34, 69]) expect(await match(`第${i}封长信`)).toBe(1);
    expect(await match("多次往返")).toBeGreaterThanOrEqual(70);
    await integrity();
  });

  it("splits a large catch-up into writes of bounded size", () => {
    const rows: UnindexedCase[] = Array.from({ length: 5 }, (_, i) => ({
      r: i + 1,
      id: `x${i}`,
      rev: "",
      s: "标题",
      b: "内容".repeat(100),
      t: null,
    }));
    const chunks = searchWriteChunks(rows, 1000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flatMap((c) => JSON.parse(c) as unknown[][]).map((r) => r[0])).toEqual([1, 2, 3, 4, 5]);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1000);
  });

  it("refuses to update or delete recent audit entries", async () => {
    await env.DB.prepare(
      "INSERT INTO audit_log (action, result, created_at) VALUES ('x', 'ok', cast(unixepoch() * 1000 as integer))",
    ).run();
    await expect(env.DB.prepare("UPDATE audit_log SET result = 'denied'").run()).rejects.toThrow(
      /append-only/,
    );
    await expect(env.DB.prepare("DELETE FROM audit_log").run()).rejects.toThrow(/183 days/);
    await env.DB.prepare(
      "INSERT INTO audit_log (action, result, created_at) VALUES ('old', 'ok', 1000)",
    ).run();
    await env.DB.prepare("DELETE FROM audit_log WHERE action = 'old'").run();
    const left = await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>();
    expect(left?.n).toBe(1);
  });
});
