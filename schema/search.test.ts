import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "./db.ts";
import { catchUpSearchIndex } from "./queries/search-index.ts";

const db = () => createDb(env.DB);

describe("migrations: search index and append-only logs", () => {
  const match = async (phrase: string) =>
    (await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?").bind(`"${phrase}"`).all())
      .results.length;
  const insertCase = (id: string, code: string, body: string) =>
    env.DB.prepare(
      `INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, subject, body, answers, due_date, created_at, updated_at) VALUES ('${id}','d','f','opinion','${code}','received','周末门诊','${body}','{}','2026-12-01',1,1)`,
    ).run();
  /** FTS5's own check; `withContent` also compares the index with `cases` (so only once caught up). */
  const integrity = (withContent: boolean) =>
    env.DB.prepare("INSERT INTO cases_fts(cases_fts, rank) VALUES ('integrity-check', ?)")
      .bind(withContent ? 1 : 0)
      .run();

  it("indexes Chinese substrings with the trigram tokenizer once the index catches up", async () => {
    await insertCase("c1", "AAAAAAAAAAAA", "社区卫生服务中心周末只开半天");
    // A new case is not indexed by its own insert (migration 0005) …
    expect(await match("服务中心")).toBe(0);
    // … but by the catch-up that every search and the scheduled worker run first.
    await catchUpSearchIndex(db());
    expect(await match("服务中心")).toBe(1);
    expect(await match("图书馆")).toBe(0);
    await catchUpSearchIndex(db());
    expect(await match("服务中心")).toBe(1);
    await env.DB.prepare("UPDATE cases SET reply_text = '已延长至下午五点' WHERE id = 'c1'").run();
    expect(await match("下午五点")).toBe(1);
    await integrity(true);
  });

  it("keeps the index whole when a case changes or goes before it was indexed", async () => {
    await insertCase("c2", "BBBBBBBBBBBB", "老年人办理医保卡需要排队很久");
    await insertCase("c3", "CCCCCCCCCCCC", "停车场收费标准没有公示");
    // Changed before it was indexed: nothing to replace now; indexed with its current text later.
    await env.DB.prepare("UPDATE cases SET reply_text = '已开设老年人专窗' WHERE id = 'c2'").run();
    // The newest case goes before it was indexed, and a new one takes its rowid.
    await env.DB.prepare("DELETE FROM cases WHERE id = 'c3'").run();
    await insertCase("c4", "DDDDDDDDDDDD", "图书馆周一闭馆不方便");
    await integrity(false);
    await catchUpSearchIndex(db());
    expect(await match("老年人专窗")).toBe(1);
    expect(await match("停车场收费")).toBe(0);
    expect(await match("周一闭馆")).toBe(1);
    await integrity(true);
    // An indexed case that goes takes its entries with it, and the rowid it leaves is indexed anew.
    await env.DB.prepare("DELETE FROM cases WHERE id = 'c4'").run();
    expect(await match("周一闭馆")).toBe(0);
    await insertCase("c5", "EEEEEEEEEEEE", "公交站台没有遮雨棚");
    await catchUpSearchIndex(db());
    expect(await match("遮雨棚")).toBe(1);
    await integrity(true);
  });

  it("catches up a backlog in bounded batches until every case is indexed", async () => {
    for (let i = 0; i < 7; i++)
      await insertCase(`b${i}`, `BACKLOG${i}AAAAA`.slice(0, 12), `积压来信第${i}号内容`);
    await catchUpSearchIndex(db(), 3);
    for (let i = 0; i < 7; i++) expect(await match(`信第${i}号`)).toBe(1);
    const state = await env.DB.prepare(
      "SELECT upto, (SELECT max(rowid) FROM cases) AS newest FROM search_index_state",
    ).first<{ upto: number; newest: number }>();
    expect(state?.upto).toBe(state?.newest);
    await integrity(true);
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
