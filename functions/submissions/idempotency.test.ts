/**
 * Idempotency of public submissions (draft-ietf-httpapi-idempotency-key-header, DESIGN §6): the
 * same key and body replays the first result, the same key with another body is 422. The record and
 * the case are written in one transaction, so concurrent duplicates never see each other in flight:
 * each gets the first result. Claims left `in_flight` by the earlier two-step protocol (before
 * migration 0004) are still honoured: 409 while fresh, taken over after 30 s.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { opinionBox } from "../../forms/builtin/opinion.ts";
import { upsertForm } from "../../schema/queries/forms.ts";
import { call, countRows, db, postJson, SUBMIT, seedDept, validOpinion } from "../../test/helpers.ts";

const CREATED = 201;
const BAD_REQUEST = 400;
const CONFLICT = 409;
const UNPROCESSABLE = 422;
/** Mirrors STALE_CLAIM_MS on purpose: the 30 s is the rule under test, not an implementation detail. */
const STALE_AFTER_MS = 30_000;

const LETTERS = "/api/v1/forms/demo/letters/submissions";
const OTHER_DEPT = "/api/v1/forms/other/opinion/submissions";

interface Receipt {
  trackingCode: string;
  status: string;
  submittedAt: string;
  dueDate: string;
  trackUrl: string;
}

interface ErrorBody {
  error: { code: string; message: string; messageEn: string; requestId: string };
}

async function rowCounts() {
  const [cases, events, keys] = await Promise.all(
    ["cases", "case_events", "idempotency_keys"].map((t) => countRows(t)),
  );
  return { cases: cases!, case_events: events!, idempotency_keys: keys! };
}

function submitWith(key: string, answers: Record<string, unknown> = validOpinion(), url = SUBMIT) {
  return postJson(url, { answers }, { "idempotency-key": key });
}

function postForm(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return call(SUBMIT, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function formId(deptSlug: string, formSlug: string): Promise<string> {
  const row = await env.DB.prepare(
    "SELECT f.id FROM forms f JOIN departments d ON d.id = f.dept_id WHERE d.slug = ? AND f.slug = ?",
  )
    .bind(deptSlug, formSlug)
    .first<{ id: string }>();
  if (!row) throw new Error(`no form ${deptSlug}/${formSlug}`);
  return row.id;
}

async function idempotencyRow(form: string, key: string) {
  return env.DB.prepare("SELECT * FROM idempotency_keys WHERE form_id = ? AND key = ?")
    .bind(form, key)
    .first<{ status: string; request_hash: string; created_at: number; response_body: string | null }>();
}

/**
 * The request hash the server computes for these answers, found by submitting them once under a
 * throwaway key, so the test does not copy the server's hashing.
 */
async function requestHashOf(answers: Record<string, unknown>): Promise<string> {
  const key = crypto.randomUUID();
  const res = await submitWith(key, answers);
  expect(res.status).toBe(CREATED);
  const row = await idempotencyRow(await formId("demo", "opinion"), key);
  return row!.request_hash;
}

async function insertClaim(form: string, key: string, requestHash: string, createdAt: number) {
  await env.DB.prepare(
    "INSERT INTO idempotency_keys (form_id, key, request_hash, status, created_at) VALUES (?, ?, ?, 'in_flight', ?)",
  )
    .bind(form, key, requestHash, createdAt)
    .run();
}

async function expectError(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/[\u4e00-\u9fff]/);
  expect(body.error.messageEn).toMatch(/[A-Za-z]/);
  expect(body.error.requestId).toBeTruthy();
}

describe("Idempotency-Key on POST /api/v1/forms/:dept/:form/submissions", () => {
  let opinionFormId: string;

  beforeAll(async () => {
    const deptId = await seedDept();
    await seedDept("other", "另一个部门");
    // A second active form in the same department.
    await upsertForm(db(), deptId, opinionBox("demo", "letters"), "active");
    opinionFormId = await formId("demo", "opinion");
  });

  it("returns the first response again for the same key and body, and stores one case", async () => {
    const key = crypto.randomUUID();
    const before = await rowCounts();
    const first = await submitWith(key);
    expect(first.status).toBe(CREATED);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstBody = (await first.json()) as Receipt;

    for (let i = 0; i < 3; i++) {
      const again = await submitWith(key);
      expect(again.status).toBe(CREATED);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.json()).toEqual(firstBody);
    }
    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(1);
    expect(after.case_events - before.case_events).toBe(1);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(1);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM cases WHERE tracking_code = ?")
      .bind(firstBody.trackingCode)
      .first<{ n: number }>();
    expect(stored?.n).toBe(1);
  });

  it("treats the same answers in another key order as the same body", async () => {
    const key = crypto.randomUUID();
    const a = validOpinion({ contact: "13800138000" });
    const first = await submitWith(key, a);
    expect(first.status).toBe(CREATED);
    const reversed = Object.fromEntries(Object.entries(a).reverse());
    const again = await submitWith(key, reversed);
    expect(again.status).toBe(CREATED);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as Receipt).trackingCode).toBe(
      ((await first.json()) as Receipt).trackingCode,
    );
  });

  it("returns 422 when the same key comes with another body, and writes nothing", async () => {
    const key = crypto.randomUUID();
    const first = await submitWith(key);
    expect(first.status).toBe(CREATED);
    const firstBody = (await first.json()) as Receipt;
    const before = await rowCounts();

    await expectError(
      await submitWith(key, validOpinion({ subject: "另一个标题" })),
      UNPROCESSABLE,
      "idempotency_key_reused",
    );
    await expectError(
      await postJson(SUBMIT, { answers: validOpinion(), lang: "en" }, { "idempotency-key": key }),
      UNPROCESSABLE,
      "idempotency_key_reused",
    );
    expect(await rowCounts()).toEqual(before);

    // The first result still stands.
    const replay = await submitWith(key);
    expect(replay.status).toBe(CREATED);
    expect(await replay.json()).toEqual(firstBody);
  });

  it("does not use up a key on a request it refused", async () => {
    const key = crypto.randomUUID();
    const before = await rowCounts();
    const bad = await submitWith(key, validOpinion({ kind: "praise" }));
    expect(bad.status).toBe(BAD_REQUEST);
    expect(await rowCounts()).toEqual(before);
    const good = await submitWith(key);
    expect(good.status).toBe(CREATED);
    expect(good.headers.get("idempotent-replayed")).toBeNull();
  });

  it("returns 409 while an earlier protocol's claim with the same body is in flight, and writes nothing", async () => {
    const answers = validOpinion({ subject: "正在处理中的提交" });
    const hash = await requestHashOf(answers);
    const key = crypto.randomUUID();
    await insertClaim(opinionFormId, key, hash, Date.now() - 1_000);
    const before = await rowCounts();

    await expectError(await submitWith(key, answers), CONFLICT, "idempotency_in_flight");

    expect(await rowCounts()).toEqual(before);
    expect((await idempotencyRow(opinionFormId, key))?.status).toBe("in_flight");
  });

  it("returns 422, not 409, when a claim in flight has another body", async () => {
    const key = crypto.randomUUID();
    await insertClaim(opinionFormId, key, "0".repeat(64), Date.now());
    const before = await rowCounts();
    await expectError(await submitWith(key), UNPROCESSABLE, "idempotency_key_reused");
    expect(await rowCounts()).toEqual(before);
  });

  it("never stores two cases for concurrent duplicates", async () => {
    const key = crypto.randomUUID();
    const answers = validOpinion({ subject: "并发提交" });
    const before = await rowCounts();
    const responses = await Promise.all(Array.from({ length: 5 }, () => submitWith(key, answers)));

    // One transaction writes the record with the case: no duplicate sees the first "in flight",
    // so every one of them gets the first answer (no 409 to retry on).
    const created: Receipt[] = [];
    let fresh = 0;
    for (const res of responses) {
      expect(res.status).toBe(CREATED);
      if (res.headers.get("idempotent-replayed") !== "true") fresh++;
      created.push((await res.json()) as Receipt);
    }
    expect(created).toHaveLength(5);
    expect(fresh).toBe(1);
    expect(new Set(created.map((r) => r.trackingCode)).size).toBe(1);
    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(1);
    expect(after.case_events - before.case_events).toBe(1);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(1);

    // Once settled, every retry is a replay of that one case.
    const retry = await submitWith(key, answers);
    expect(retry.status).toBe(CREATED);
    expect(((await retry.json()) as Receipt).trackingCode).toBe(created[0]!.trackingCode);
  });

  it("takes over a stale in-flight claim with the same body and stores the case", async () => {
    const answers = validOpinion({ subject: "中断后重试" });
    const hash = await requestHashOf(answers);
    const key = crypto.randomUUID();
    await insertClaim(opinionFormId, key, hash, Date.now() - STALE_AFTER_MS - 1_000);
    const before = await rowCounts();

    const res = await submitWith(key, answers);
    expect(res.status).toBe(CREATED);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    const body = (await res.json()) as Receipt;

    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(1);
    expect(after.case_events - before.case_events).toBe(1);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(0);
    const row = await idempotencyRow(opinionFormId, key);
    expect(row?.status).toBe("done");
    expect(JSON.parse(row!.response_body!)).toEqual(body);

    const replay = await submitWith(key, answers);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(body);
  });

  it("does not take over a stale claim that has another body", async () => {
    const key = crypto.randomUUID();
    await insertClaim(opinionFormId, key, "f".repeat(64), Date.now() - STALE_AFTER_MS - 1_000);
    const before = await rowCounts();
    await expectError(await submitWith(key), UNPROCESSABLE, "idempotency_key_reused");
    expect(await rowCounts()).toEqual(before);
    expect((await idempotencyRow(opinionFormId, key))?.status).toBe("in_flight");
  });

  it("makes the no-JavaScript form post idempotent through its _idempotency field", async () => {
    const key = crypto.randomUUID();
    const fields = { ...validOpinion({ subject: "无脚本表单提交" }), _idempotency: key } as Record<
      string,
      string
    >;
    const before = await rowCounts();

    const first = await postForm(fields);
    expect(first.status, await first.clone().text()).toBe(CREATED);
    const firstBody = (await first.json()) as Receipt;
    const again = await postForm(fields);
    expect(again.status).toBe(CREATED);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(firstBody);

    // The same answers as JSON under the same key are the same submission.
    const asJson = await submitWith(key, validOpinion({ subject: "无脚本表单提交" }));
    expect(asJson.status).toBe(CREATED);
    expect(((await asJson.json()) as Receipt).trackingCode).toBe(firstBody.trackingCode);

    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(1);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(1);

    const before422 = await rowCounts();
    await expectError(
      await postForm({ ...fields, subject: "改过的标题" }),
      UNPROCESSABLE,
      "idempotency_key_reused",
    );
    expect(await rowCounts()).toEqual(before422);
  });

  it("prefers the Idempotency-Key header over the _idempotency field in a form post", async () => {
    const headerKey = crypto.randomUUID();
    const fields = { ...validOpinion({ subject: "请求头优先" }) } as Record<string, string>;
    const first = await postForm(
      { ...fields, _idempotency: crypto.randomUUID() },
      { "idempotency-key": headerKey },
    );
    expect(first.status).toBe(CREATED);
    const again = await postForm(
      { ...fields, _idempotency: crypto.randomUUID() },
      { "idempotency-key": headerKey },
    );
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as Receipt).trackingCode).toBe(
      ((await first.json()) as Receipt).trackingCode,
    );
  });

  it("keeps the same key on two different forms independent", async () => {
    const key = crypto.randomUUID();
    const before = await rowCounts();
    const responses = [];
    for (const url of [SUBMIT, LETTERS, OTHER_DEPT]) {
      const res = await submitWith(key, validOpinion(), url);
      expect(res.status).toBe(CREATED);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      responses.push((await res.json()) as Receipt);
    }
    expect(new Set(responses.map((r) => r.trackingCode)).size).toBe(3);
    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(3);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(3);

    // Another body under that key is refused on one form and still fine on the others' replays.
    await expectError(
      await submitWith(key, validOpinion({ subject: "换了内容" }), LETTERS),
      UNPROCESSABLE,
      "idempotency_key_reused",
    );
    const replay = await submitWith(key, validOpinion(), OTHER_DEPT);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as Receipt).trackingCode).toBe(responses[2]!.trackingCode);
  });
});
