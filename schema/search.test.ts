import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("migrations: search index and append-only logs", () => {
  it("indexes Chinese substrings with the trigram tokenizer", async () => {
    await env.DB.prepare(
      "INSERT INTO cases (id, dept_id, form_id, kind, tracking_code, state, subject, body, answers, due_date, created_at, updated_at) VALUES ('c1','d','f','opinion','AAAAAAAAAAAA','received','周末门诊','社区卫生服务中心周末只开半天','{}','2026-12-01',1,1)",
    ).run();
    const hit = await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?")
      .bind('"服务中心"')
      .all();
    expect(hit.results).toHaveLength(1);
    const miss = await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?")
      .bind('"图书馆"')
      .all();
    expect(miss.results).toHaveLength(0);
    await env.DB.prepare("UPDATE cases SET reply_text = '已延长至下午五点' WHERE id = 'c1'").run();
    const reply = await env.DB.prepare("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?")
      .bind('"下午五点"')
      .all();
    expect(reply.results).toHaveLength(1);
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
