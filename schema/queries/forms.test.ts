import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { db, seedDept } from "../../test/helpers.ts";
import { setReplyNorms } from "./departments.ts";
import { FORM_CACHE_MS, findFormCached, upsertForm } from "./forms.ts";

describe("the per-isolate form cache", () => {
  let dept: string;
  beforeAll(async () => {
    dept = await seedDept();
  });

  it("answers from memory within FORM_CACHE_MS and reads D1 again after it", async () => {
    const t0 = Date.now();
    const first = await findFormCached(db(), "demo", "opinion", t0);
    expect(first?.status).toBe("active");
    // A change behind the cache's back (another isolate) is seen only once the entry is old.
    await env.DB.prepare("UPDATE forms SET status = 'closed' WHERE slug = 'opinion' AND dept_id = ?")
      .bind(dept)
      .run();
    expect((await findFormCached(db(), "demo", "opinion", t0 + FORM_CACHE_MS - 1))?.status).toBe("active");
    expect((await findFormCached(db(), "demo", "opinion", t0 + FORM_CACHE_MS))?.status).toBe("closed");
  });

  it("forgets at once when this isolate writes a form or the department's settings", async () => {
    const t0 = Date.now();
    await upsertForm(db(), dept, opinionBox("demo"), "active");
    expect((await findFormCached(db(), "demo", "opinion", t0))?.status).toBe("active");
    await upsertForm(db(), dept, opinionBox("demo"), "coming_soon");
    expect((await findFormCached(db(), "demo", "opinion", t0))?.status).toBe("coming_soon");
    await setReplyNorms(db(), dept, { replyDays: 15, correctionDays: 2 });
    expect((await findFormCached(db(), "demo", "opinion", t0))?.deptSettings.replyDays).toBe(15);
  });
});
