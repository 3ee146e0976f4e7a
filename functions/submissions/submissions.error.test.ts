/**
 * Bad input to the public submission endpoint: every case gets a 4xx in the one error shape, with
 * bilingual messages and the path of the field at fault, and writes nothing (DESIGN §6).
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, countRows, postJson, SUBMIT, seedDept, validOpinion } from "../../test/helpers.ts";
import { MAX_BODY_BYTES } from "../lib/body.ts";

const BAD_REQUEST = 400;
const NOT_FOUND = 404;
const CONFLICT = 409;
const PAYLOAD_TOO_LARGE = 413;
const UNSUPPORTED_MEDIA_TYPE = 415;
const CREATED = 201;

const WRITE_TABLES = ["cases", "case_events", "idempotency_keys"] as const;

async function rowCounts(): Promise<Record<(typeof WRITE_TABLES)[number], number>> {
  const [cases, caseEvents, idem] = await Promise.all(WRITE_TABLES.map((t) => countRows(t)));
  return { cases: cases!, case_events: caseEvents!, idempotency_keys: idem! };
}

interface ErrorBody {
  error: {
    code: string;
    message: string;
    messageEn: string;
    requestId: string;
    issues?: { path: string; message: string; messageEn: string }[];
  };
}

/** One bad request. `raw` is sent as is; otherwise `envelope` is sent as JSON. */
interface BadCase {
  name: string;
  url?: string;
  envelope?: unknown;
  raw?: BodyInit;
  /** Replaces the default headers (JSON content type and a fresh Idempotency-Key) when given. */
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** A path some issue must carry; omitted where the input is not about one field. */
  path?: string;
}

const key = () => ({ "idempotency-key": crypto.randomUUID() });
const json = (over: Record<string, string> = {}) => ({
  "content-type": "application/json",
  ...key(),
  ...over,
});
const withAnswers = (answers: unknown, extra: Record<string, unknown> = {}) => ({ answers, ...extra });
const without = (id: string) => {
  const a: Record<string, unknown> = validOpinion();
  delete a[id];
  return a;
};
const bytes = (...parts: (string | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === "string" ? new TextEncoder().encode(p) : p));
  return new Uint8Array(out);
};
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const urlencoded = () => ({ "content-type": "application/x-www-form-urlencoded", ...key() });

const HAN = "意";
const EMOJI = "😀"; // one code point, two UTF-16 units
const XSS = "<script>alert(document.cookie)</script>";
const SQL_KEY = "subject'; DROP TABLE cases;--";

const cases: BadCase[] = [
  // --- The body as a whole ---
  { name: "an empty body", raw: "", status: BAD_REQUEST, code: "bad_request", path: "body" },
  { name: "a whitespace body", raw: " \n\t ", status: BAD_REQUEST, code: "bad_request", path: "body" },
  {
    name: "a body that is not JSON",
    raw: "answers=1",
    status: BAD_REQUEST,
    code: "bad_request",
    path: "body",
  },
  {
    name: "truncated JSON",
    raw: '{"answers":{"kind":"suggest"',
    status: BAD_REQUEST,
    code: "bad_request",
    path: "body",
  },
  { name: "a JSON array", raw: "[]", status: BAD_REQUEST, code: "bad_request", path: "body" },
  { name: "a JSON string", raw: '"hello"', status: BAD_REQUEST, code: "bad_request", path: "body" },
  { name: "JSON null", raw: "null", status: BAD_REQUEST, code: "bad_request", path: "body" },
  { name: "a JSON number", raw: "42", status: BAD_REQUEST, code: "bad_request", path: "body" },
  { name: "JSON true", raw: "true", status: BAD_REQUEST, code: "bad_request", path: "body" },
  {
    name: "invalid UTF-8 bytes",
    raw: bytes('{"answers":{"kind":"suggest","subject":"', [0xff, 0xfe], '","body":"x"}}'),
    status: BAD_REQUEST,
    code: "bad_request",
    path: "body",
  },
  {
    name: "a UTF-8-encoded lone surrogate (CESU bytes)",
    raw: bytes('{"answers":{"kind":"suggest","subject":"', [0xed, 0xa0, 0x80], '","body":"x"}}'),
    status: BAD_REQUEST,
    code: "bad_request",
    path: "body",
  },
  {
    name: "an overlong UTF-8 encoding",
    raw: bytes('{"answers":{"kind":"suggest","subject":"', [0xc0, 0xaf], '","body":"x"}}'),
    status: BAD_REQUEST,
    code: "bad_request",
    path: "body",
  },
  {
    name: "a body over 64 KB",
    envelope: withAnswers(validOpinion({ body: "x".repeat(MAX_BODY_BYTES + 1) })),
    status: PAYLOAD_TOO_LARGE,
    code: "payload_too_large",
  },

  // --- Content-Type ---
  {
    name: "Content-Type text/plain",
    raw: JSON.stringify(withAnswers(validOpinion())),
    headers: { "content-type": "text/plain", ...key() },
    status: UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    path: "headers.Content-Type",
  },
  {
    name: "Content-Type multipart/form-data",
    raw: (() => {
      const f = new FormData();
      for (const [k, val] of Object.entries(validOpinion())) f.append(k, String(val));
      return f;
    })(),
    headers: key(),
    status: UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    path: "headers.Content-Type",
  },
  {
    name: "no Content-Type",
    raw: bytes(JSON.stringify(withAnswers(validOpinion()))),
    headers: key(),
    status: UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    path: "headers.Content-Type",
  },
  {
    name: "Content-Type application/xml",
    raw: "<answers><kind>suggest</kind></answers>",
    headers: { "content-type": "application/xml", ...key() },
    status: UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    path: "headers.Content-Type",
  },

  // --- The JSON envelope ---
  {
    name: "an unknown top-level key",
    envelope: withAnswers(validOpinion(), { extra: 1 }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "extra",
  },
  {
    name: "a top-level __proto__ key",
    raw: `{"answers":${JSON.stringify(validOpinion())},"__proto__":{"admin":true}}`,
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "__proto__",
  },
  {
    name: "a top-level trackingCode (mass assignment)",
    envelope: withAnswers(validOpinion(), { trackingCode: "AAAAAAAAAAAA", state: "closed" }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "trackingCode",
  },
  {
    name: "no answers",
    envelope: { lang: "zh-CN" },
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers",
  },
  {
    name: "answers null",
    envelope: withAnswers(null),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers",
  },
  {
    name: "answers a string",
    envelope: withAnswers("建议延长门诊时间"),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers",
  },
  {
    name: "answers an array",
    envelope: withAnswers(["suggest", "标题", "内容"]),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers",
  },
  {
    name: "lang fr",
    envelope: withAnswers(validOpinion(), { lang: "fr" }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "lang",
  },
  {
    name: "lang zh (not zh-CN)",
    envelope: withAnswers(validOpinion(), { lang: "zh" }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "lang",
  },
  {
    name: "lang a number",
    envelope: withAnswers(validOpinion(), { lang: 1 }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "lang",
  },
  {
    name: "lang an XSS payload",
    envelope: withAnswers(validOpinion(), { lang: XSS }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "lang",
  },
  {
    name: "botCheck an object",
    envelope: withAnswers(validOpinion(), { botCheck: { token: "x" } }),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "botCheck",
  },

  // --- Unknown answer keys ---
  {
    name: "an unknown answer key",
    envelope: withAnswers(validOpinion({ idNumber: "110101199003071234" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.idNumber",
  },
  {
    name: "an SQL payload as an answer key",
    envelope: withAnswers(validOpinion({ [SQL_KEY]: "x" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: `answers.${SQL_KEY}`,
  },
  {
    name: "an XSS payload as an answer key",
    envelope: withAnswers(validOpinion({ [XSS]: "x" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: `answers.${XSS}`,
  },
  {
    name: "a constructor answer key",
    envelope: withAnswers(validOpinion({ constructor: "x" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.constructor",
  },
  {
    name: "a __proto__ answer key",
    raw: `{"answers":${JSON.stringify(validOpinion()).slice(0, -1)},"__proto__":{"subject":"x"}}}`,
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.__proto__",
  },

  // --- Missing required answers ---
  {
    name: "no kind",
    envelope: withAnswers(without("kind")),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "no subject",
    envelope: withAnswers(without("subject")),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "no body",
    envelope: withAnswers(without("body")),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "empty answers",
    envelope: withAnswers({}),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a whitespace-only subject",
    envelope: withAnswers(validOpinion({ subject: " \u3000\t " })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a null body answer",
    envelope: withAnswers(validOpinion({ body: null })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },

  // --- kind (single choice) ---
  {
    name: "a kind that is not an option",
    envelope: withAnswers(validOpinion({ kind: "praise" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "a kind given by its Chinese label",
    envelope: withAnswers(validOpinion({ kind: "建议" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "an XSS payload as the kind",
    envelope: withAnswers(validOpinion({ kind: XSS })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "an SQL payload as the kind",
    envelope: withAnswers(validOpinion({ kind: "suggest' OR '1'='1" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "a number as the kind",
    envelope: withAnswers(validOpinion({ kind: 1 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },
  {
    name: "an array as the kind",
    envelope: withAnswers(validOpinion({ kind: ["suggest"] })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.kind",
  },

  // --- subject and body (text) ---
  {
    name: "a number as the subject",
    envelope: withAnswers(validOpinion({ subject: 123 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a nested object as the subject",
    envelope: withAnswers(validOpinion({ subject: { text: "标题", html: "<b>标题</b>" } })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "an array as the subject",
    envelope: withAnswers(validOpinion({ subject: ["标题"] })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a boolean as the subject",
    envelope: withAnswers(validOpinion({ subject: true })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a number as the body",
    envelope: withAnswers(validOpinion({ body: 5000 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "a nested object as the body",
    envelope: withAnswers(validOpinion({ body: { $gt: "" } })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "a subject of 101 Chinese characters",
    envelope: withAnswers(validOpinion({ subject: HAN.repeat(101) })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a subject of 101 emoji (code points, not UTF-16 units)",
    envelope: withAnswers(validOpinion({ subject: EMOJI.repeat(101) })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a body of 5001 Chinese characters",
    envelope: withAnswers(validOpinion({ body: HAN.repeat(5001) })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "a body of 5001 emoji",
    envelope: withAnswers(validOpinion({ body: EMOJI.repeat(5001) })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "a NUL in the subject",
    envelope: withAnswers(validOpinion({ subject: "标题\u0000后缀" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a BEL in the subject",
    envelope: withAnswers(validOpinion({ subject: "标题\u0007" + "后缀" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a DEL in the subject",
    envelope: withAnswers(validOpinion({ subject: "标题\u007f后缀" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "an ESC (terminal escape) in the body",
    envelope: withAnswers(validOpinion({ body: "内容\u001b[31m红色" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "a C1 control (NEL) in the body",
    envelope: withAnswers(validOpinion({ body: "内容\u0085下一行" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: 'a lone high surrogate ("\\ud800") in the subject',
    raw: `{"answers":{"kind":"suggest","subject":"标题\\ud800","body":"内容"}}`,
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: 'a lone low surrogate ("\\udc00") in the body',
    raw: `{"answers":{"kind":"suggest","subject":"标题","body":"\\udc00内容"}}`,
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },
  {
    name: "reversed surrogates in the name",
    raw: `{"answers":{"kind":"suggest","subject":"标题","body":"内容","name":"\\ude00\\ud83d"}}`,
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.name",
  },

  // --- name, contact, publish, pageUrl ---
  {
    name: "a name of 51 characters",
    envelope: withAnswers(validOpinion({ name: "张".repeat(51) })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.name",
  },
  {
    name: "a number as the name",
    envelope: withAnswers(validOpinion({ name: 42 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.name",
  },
  {
    name: "a short phone number as the contact",
    envelope: withAnswers(validOpinion({ contact: "12345" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "a phone number starting 12 as the contact",
    envelope: withAnswers(validOpinion({ contact: "12800138000" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "a 12-digit phone number as the contact",
    envelope: withAnswers(validOpinion({ contact: "138001380001" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "a landline number as the contact",
    envelope: withAnswers(validOpinion({ contact: "010-12345678" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "an e-mail without a domain as the contact",
    envelope: withAnswers(validOpinion({ contact: "zhang@" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "an e-mail without a top-level domain as the contact",
    envelope: withAnswers(validOpinion({ contact: "zhang@localhost" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "an e-mail of 255 characters as the contact",
    envelope: withAnswers(validOpinion({ contact: `${"a".repeat(245)}@example.cn` })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "an XSS payload as the contact",
    envelope: withAnswers(validOpinion({ contact: `${XSS}@example.cn` })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: "a number as the contact",
    envelope: withAnswers(validOpinion({ contact: 13800138000 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.contact",
  },
  {
    name: 'publish given as "yes"',
    envelope: withAnswers(validOpinion({ publish: "yes" })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.publish",
  },
  {
    name: "publish given as 1",
    envelope: withAnswers(validOpinion({ publish: 1 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.publish",
  },
  {
    name: "a pageUrl of 501 characters on a correction",
    envelope: withAnswers(validOpinion({ kind: "correction", pageUrl: `https://x.cn/${"a".repeat(488)}` })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.pageUrl",
  },
  {
    name: "a number as the pageUrl on a correction",
    envelope: withAnswers(validOpinion({ kind: "correction", pageUrl: 404 })),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.pageUrl",
  },

  // --- Idempotency-Key ---
  {
    name: "no Idempotency-Key",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json" },
    status: BAD_REQUEST,
    code: "missing_idempotency_key",
    path: "headers.Idempotency-Key",
  },
  {
    name: "an empty Idempotency-Key",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json", "idempotency-key": "" },
    status: BAD_REQUEST,
    code: "missing_idempotency_key",
    path: "headers.Idempotency-Key",
  },
  {
    name: "an Idempotency-Key with a space",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json", "idempotency-key": "abc def" },
    status: BAD_REQUEST,
    code: "bad_request",
    path: "headers.Idempotency-Key",
  },
  {
    name: "an Idempotency-Key with a tab",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json", "idempotency-key": "abc\tdef" },
    status: BAD_REQUEST,
    code: "bad_request",
    path: "headers.Idempotency-Key",
  },
  {
    name: "an Idempotency-Key of 256 characters",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json", "idempotency-key": "k".repeat(256) },
    status: BAD_REQUEST,
    code: "bad_request",
    path: "headers.Idempotency-Key",
  },
  {
    name: "a non-ASCII Idempotency-Key",
    envelope: withAnswers(validOpinion()),
    headers: { "content-type": "application/json", "idempotency-key": "clé-1234" },
    status: BAD_REQUEST,
    code: "bad_request",
    path: "headers.Idempotency-Key",
  },
  {
    name: "a non-ASCII _idempotency field in a form post",
    raw: form({ ...validOpinion(), _idempotency: "键-1234" }),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: BAD_REQUEST,
    code: "bad_request",
    path: "headers.Idempotency-Key",
  },
  {
    name: "a form post without Idempotency-Key or _idempotency",
    raw: form(validOpinion()),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: BAD_REQUEST,
    code: "missing_idempotency_key",
    path: "headers.Idempotency-Key",
  },

  // --- The no-JS form post ---
  {
    name: "an unknown field in a form post",
    raw: form({ ...validOpinion(), role: "admin" }),
    headers: urlencoded(),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.role",
  },
  {
    // Names starting with "_" are the widget's own (answersFromForm), so "__proto__" is not an answer.
    name: "a constructor field in a form post",
    raw: `${form(validOpinion())}&constructor=x`,
    headers: urlencoded(),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.constructor",
  },
  {
    name: "a repeated subject in a form post",
    raw: `${form(validOpinion())}&subject=second`,
    headers: urlencoded(),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.subject",
  },
  {
    name: "a form post without a body",
    raw: form(without("body") as Record<string, string>),
    headers: urlencoded(),
    status: BAD_REQUEST,
    code: "validation_failed",
    path: "answers.body",
  },

  // --- Where the request goes ---
  {
    name: "an unknown department",
    url: "/api/v1/forms/nowhere/opinion/submissions",
    envelope: withAnswers(validOpinion()),
    status: NOT_FOUND,
    code: "not_found",
  },
  {
    name: "an unknown form",
    url: "/api/v1/forms/demo/petition/submissions",
    envelope: withAnswers(validOpinion()),
    status: NOT_FOUND,
    code: "not_found",
  },
  {
    name: "an SQL payload as the department",
    url: `/api/v1/forms/${encodeURIComponent("demo' OR '1'='1")}/opinion/submissions`,
    envelope: withAnswers(validOpinion()),
    status: NOT_FOUND,
    code: "not_found",
  },
  {
    name: "the coming-soon satisfaction form",
    url: "/api/v1/forms/demo/satisfaction/submissions",
    envelope: withAnswers(validOpinion()),
    status: CONFLICT,
    code: "form_unavailable",
  },
  {
    name: "the coming-soon disclosure form",
    url: "/api/v1/forms/demo/disclosure/submissions",
    envelope: withAnswers(validOpinion()),
    status: CONFLICT,
    code: "form_unavailable",
  },
];

function send(c: BadCase): Promise<Response> {
  const body = c.raw !== undefined ? c.raw : JSON.stringify(c.envelope);
  return call(c.url ?? SUBMIT, { method: "POST", headers: c.headers ?? json(), body });
}

describe("POST /api/v1/forms/:dept/:form/submissions with bad input", () => {
  beforeAll(async () => {
    await seedDept();
  });

  it("has a wide table of bad inputs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    "refuses %s with a 4xx and writes nothing",
    async (_, c) => {
      const before = await rowCounts();
      const res = await send(c);
      const text = await res.text();
      expect(res.status, text).toBe(c.status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = JSON.parse(text) as ErrorBody;
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toMatch(/[\u4e00-\u9fff]/);
      expect(body.error.messageEn).toMatch(/^[\x20-\x7e–]*[A-Za-z][\x20-\x7e–]*$/);
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
      expect(body.error.requestId.length).toBeGreaterThan(0);
      for (const issue of body.error.issues ?? []) {
        expect(issue.path.length).toBeGreaterThan(0);
        expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
        expect(issue.messageEn).toMatch(/[A-Za-z]/);
      }
      if (c.path !== undefined) {
        expect(
          body.error.issues?.map((i) => i.path),
          text,
        ).toContain(c.path);
      }
      // Never a stack trace or an internal detail in the response.
      expect(text).not.toMatch(/at .+\.ts:\d+|SQLITE|D1_ERROR/);
      expect(await rowCounts()).toEqual(before);
    },
  );
});

describe("POST /api/v1/forms/:dept/:form/submissions with payload-like text", () => {
  beforeAll(async () => {
    await seedDept("payloads", "载荷测试局");
  });

  const PAYLOAD_URL = "/api/v1/forms/payloads/opinion/submissions";

  const payloads: [string, Record<string, string>][] = [
    ["a script tag", { subject: XSS, body: '<img src=x onerror="alert(1)"><svg/onload=alert(2)>' }],
    [
      "an SQL injection",
      { subject: "'; DROP TABLE cases; --", body: `" OR 1=1; -- ' UNION SELECT * FROM users --` },
    ],
    [
      "template and URL tricks",
      {
        subject: "{{constructor.constructor('alert(1)')()}}",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection payload, kept literal on purpose.
        body: "javascript:alert(1) ${7*7} %00 ../../etc/passwd",
      },
    ],
    [
      "100 emoji and 5000 Chinese characters (the limits)",
      { subject: EMOJI.repeat(100), body: HAN.repeat(5000) },
    ],
  ];

  it.each(payloads)("accepts %s inside subject and body and stores it verbatim", async (_, text) => {
    const before = await rowCounts();
    const res = await postJson(PAYLOAD_URL, withAnswers(validOpinion(text)), key());
    expect(res.status, await res.clone().text()).toBe(CREATED);
    const { trackingCode } = (await res.json()) as { trackingCode: string };
    const row = await env.DB.prepare("SELECT subject, body FROM cases WHERE tracking_code = ?")
      .bind(trackingCode)
      .first<{ subject: string; body: string }>();
    expect(row).toEqual({ subject: text.subject, body: text.body });
    const after = await rowCounts();
    expect(after.cases - before.cases).toBe(1);
    expect(after.case_events - before.case_events).toBe(1);
    expect(after.idempotency_keys - before.idempotency_keys).toBe(1);
  });

  it("accepts an SQL-looking Idempotency-Key of printable ASCII and stores it verbatim", async () => {
    const sqlKey = `';DROP/**/TABLE/**/idempotency_keys;--${crypto.randomUUID()}`;
    const res = await postJson(PAYLOAD_URL, withAnswers(validOpinion()), { "idempotency-key": sqlKey });
    expect(res.status).toBe(CREATED);
    const row = await env.DB.prepare("SELECT status FROM idempotency_keys WHERE key = ?")
      .bind(sqlKey)
      .first<{ status: string }>();
    expect(row).toEqual({ status: "done" });
  });
});
