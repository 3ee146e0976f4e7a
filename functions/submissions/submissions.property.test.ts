/**
 * Property: whatever arrives at the submit route, the answer is a 201 that stored exactly one case,
 * or a 4xx in the one error shape that stored nothing. Never a 5xx (DESIGN §6).
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OPINION_KINDS } from "../../forms/builtin/opinion.ts";
import { call, countRows, SUBMIT, seedDept, validOpinion } from "../../test/helpers.ts";

const CREATED = 201;
const NUM_RUNS = 1_000;

// --- Generators -------------------------------------------------------------------------------

/** Any UTF-16 code unit sequence: full Unicode, controls, and lone surrogates now and then. */
const anyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom("意", "见", "😀", "\u3000", " ", "\n", "\t", "<", "'", '"', "\\") },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((n) => String.fromCharCode(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)) },
);
const anyString = (maxLength = 40) => fc.string({ unit: anyChar, maxLength });

/** Mostly clean text (CJK and ASCII), sometimes right at or over a limit. */
const text = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: Math.min(max, 60) }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom("建议延长门诊时间", "<script>alert(1)</script>", "'; DROP TABLE cases;--"),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: max - 2, max: max + 2 }), fc.constantFrom("意", "😀", "a"))
        .map(([n, ch]) => ch.repeat(n)),
    },
    { weight: 1, arbitrary: anyString() },
  );

const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });

const kind = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...OPINION_KINDS.map((k) => k.value)) },
  { weight: 1, arbitrary: fc.constantFrom("建议", "praise", "SUGGEST", "") },
  { weight: 1, arbitrary: anyJson },
);

/** A value of the wrong kind, or right, for any question. */
const wild = fc.oneof(anyJson, anyString(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));

/** Present now and then (`weight` in 20, about 1 in 10 by default), absent otherwise. */
const sometimes = <T>(arb: fc.Arbitrary<T>, weight = 2) =>
  fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });

/** Mostly right, sometimes wrong in any way. */
const mostly = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: right as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wild });

const contact = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^1[3-9]\d{9}$/) },
  { weight: 2, arbitrary: fc.emailAddress() },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "+86 139-0000-1111",
      "zhang.san@example.gov.cn",
      "12345",
      "a@b",
      "010-12345678",
      "<b>@x.cn",
    ),
  },
  { weight: 1, arbitrary: wild },
);

/** Answers built around a valid opinion, with each field sometimes wrong, missing or replaced. */
const answers = fc
  .record({
    kind,
    subject: mostly(text(100)),
    body: mostly(text(5000)),
    name: sometimes(mostly(text(50)), 8),
    contact: sometimes(contact, 10),
    publish: sometimes(mostly(fc.boolean()), 10),
    // Shown (and checked) only when kind is "correction"; otherwise dropped.
    pageUrl: sometimes(mostly(text(500)), 4),
    dropped: sometimes(fc.constantFrom("kind", "subject", "body")),
    // Unknown keys, including the ones a plain object inherits.
    extra: sometimes(
      fc.dictionary(
        fc.oneof(fc.string(), fc.constantFrom("constructor", "__proto__", "prototype", "toString", "id")),
        wild,
        { minKeys: 1, maxKeys: 3 },
      ),
    ),
  })
  .map(({ dropped, extra, ...fields }) => {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(fields)) if (val !== undefined) out[k] = val;
    if (dropped) delete out[dropped];
    // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it.
    for (const [k, val] of Object.entries(extra ?? {}))
      Object.defineProperty(out, k, { value: val, enumerable: true, configurable: true, writable: true });
    return out;
  });

const envelope = fc
  .record({
    answers: fc.oneof({ weight: 20, arbitrary: answers }, { weight: 1, arbitrary: wild }),
    missingAnswers: sometimes(fc.constant(true), 1),
    lang: sometimes(fc.oneof({ weight: 4, arbitrary: fc.constantFrom("zh-CN", "en") }, wild), 8),
    botCheck: sometimes(fc.oneof(fc.string(), wild)),
    // An unknown top-level field (mass assignment).
    state: sometimes(wild, 1),
  })
  .map(({ answers: a, missingAnswers, ...rest }) => {
    const out: Record<string, unknown> = missingAnswers ? {} : { answers: a };
    for (const [k, val] of Object.entries(rest)) if (val !== undefined) out[k] = val;
    return out;
  });

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"];
const OTHER_TYPES = [
  "application/x-www-form-urlencoded",
  "text/plain",
  "multipart/form-data; boundary=x",
  "application/xml",
  "",
];
const anyContentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...JSON_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_TYPES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) },
);

/** What a client would send with that body, and now and then anything else. */
const usually = (type: string) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: anyContentType });
const jsonType = usually("application/json");

type Body = { body: string | Uint8Array<ArrayBuffer>; type: string };

const body: fc.Arbitrary<Body> = fc.oneof(
  // The JSON envelope, usually with mutated valid answers.
  {
    weight: 10,
    arbitrary: fc.record({ body: envelope.map((e) => JSON.stringify(e)), type: jsonType }),
  },
  // Any JSON value at all.
  { weight: 2, arbitrary: fc.record({ body: anyJson.map((j) => JSON.stringify(j)), type: jsonType }) },
  // Any text, any bytes, under any content type.
  { weight: 1, arbitrary: fc.record({ body: anyString(200), type: anyContentType }) },
  { weight: 1, arbitrary: fc.record({ body: fc.uint8Array({ maxLength: 200 }), type: anyContentType }) },
  // The no-JavaScript form post, with valid answers mixed with random fields.
  {
    weight: 3,
    arbitrary: fc
      .record({
        fields: sometimes(
          fc.dictionary(
            fc.oneof(fc.string(), fc.constantFrom("kind", "subject", "publish", "_lang", "_x")),
            anyString(),
            { minKeys: 1, maxKeys: 3 },
          ),
          10,
        ),
        dropAll: sometimes(fc.constant(true)),
        type: usually("application/x-www-form-urlencoded"),
      })
      .map(({ fields, dropAll, type }) => {
        const params = new URLSearchParams(dropAll ? {} : (validOpinion() as Record<string, string>));
        for (const [k, val] of Object.entries(fields ?? {})) params.set(k, val);
        return { body: params.toString(), type };
      }),
  },
  // Over the 64 KB limit.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 64 * 1024 - 64, max: 80 * 1024 }).map((n) => ({
      body: JSON.stringify({ answers: validOpinion({ body: "x".repeat(n) }) }),
      type: "application/json",
    })),
  },
);

/** "fresh" is a new UUID per request; otherwise a given (often invalid) key, or none. */
const idempotencyKey = fc.oneof(
  { weight: 8, arbitrary: fc.constant("fresh" as const) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const route = fc.oneof(
  { weight: 20, arbitrary: fc.constant(SUBMIT) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "/api/v1/forms/demo/satisfaction/submissions",
      "/api/v1/forms/demo/nope/submissions",
      "/api/v1/forms/nobody/opinion/submissions",
    ),
  },
);

// --- The property ------------------------------------------------------------------------------

type Counts = { cases: number; case_events: number; idempotency_keys: number };

/**
 * The three counts in one statement: a thousand runs with six count queries each would take most of
 * a minute, and only our own requests write, so each run's "after" is the next run's "before".
 */
async function snapshot(): Promise<Counts> {
  const row = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM case_events) AS case_events,
            (SELECT count(*) FROM idempotency_keys) AS idempotency_keys`,
  ).first<Counts>();
  return row!;
}

/** Header values must be byte strings; the Headers class refuses others before the Worker sees them. */
const headerSafe = (s: string) =>
  [...s].every((ch) => ch.charCodeAt(0) <= 0xff) &&
  !s.includes("\r") &&
  !s.includes("\n") &&
  !s.includes("\u0000");

describe("POST /api/v1/forms/:dept/:form/submissions under generated input", () => {
  beforeAll(async () => {
    await seedDept();
  });

  it(`answers ${NUM_RUNS} generated requests with a 201 or a clean 4xx, never a 5xx`, async () => {
    const seen = { created: 0, refused: 0, replayed: 0 };
    const start = await snapshot();
    let last = start;
    await fc.assert(
      fc.asyncProperty(route, body, idempotencyKey, async (url, { body: payload, type }, keyChoice) => {
        const headers: Record<string, string> = {};
        if (type) headers["content-type"] = type;
        const key = keyChoice === "fresh" ? crypto.randomUUID() : keyChoice;
        if (key !== undefined && headerSafe(key)) headers["idempotency-key"] = key;

        const before = last;
        const res = await call(url, { method: "POST", headers, body: payload });
        const raw = await res.text();
        const after = await snapshot();
        last = after;

        expect(res.status, raw).toBeLessThan(500);
        const json = JSON.parse(raw) as Record<string, unknown>;
        if (res.status === CREATED) {
          expect(json.trackingCode).toMatch(/^[2-9A-HJ-NP-Z]{12}$/);
          const replayed = res.headers.get("idempotent-replayed") === "true";
          const grew = replayed ? 0 : 1;
          expect(after.cases - before.cases).toBe(grew);
          expect(after.case_events - before.case_events).toBe(grew);
          expect(after.idempotency_keys - before.idempotency_keys).toBe(grew);
          if (replayed) seen.replayed++;
          else seen.created++;
          return;
        }
        expect(res.status, raw).toBeGreaterThanOrEqual(400);
        expect(Object.keys(json)).toEqual(["error"]);
        const error = json.error as Record<string, unknown>;
        expect(typeof error.code).toBe("string");
        expect(error.message).toMatch(/[\u4e00-\u9fff]/);
        expect(error.messageEn).toMatch(/[A-Za-z]/);
        expect(error.requestId).toBeTruthy();
        expect(error.requestId).toBe(res.headers.get("x-request-id"));
        for (const issue of (error.issues ?? []) as Record<string, unknown>[]) {
          expect(typeof issue.path).toBe("string");
          expect((issue.path as string).length).toBeGreaterThan(0);
          expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
          expect(typeof issue.messageEn).toBe("string");
        }
        expect(after).toEqual(before);
        seen.refused++;
      }),
      { numRuns: NUM_RUNS },
    );
    // The running snapshot agrees with the shared helper, and every new case is one we counted.
    expect(await countRows("cases")).toBe(start.cases + seen.created);
    expect(await countRows("case_events")).toBe(start.case_events + seen.created);
    expect(await countRows("idempotency_keys")).toBe(start.idempotency_keys + seen.created);
    // Both branches must have been exercised for the property to mean anything.
    expect(seen.created).toBeGreaterThan(NUM_RUNS / 10);
    expect(seen.refused).toBeGreaterThan(NUM_RUNS / 4);
  }, 120_000);
});
