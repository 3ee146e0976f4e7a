/**
 * The OpenAPI 3.1 description of every route of the Worker: the public JSON API, the staff API and
 * the citizen-facing pages. Hand-written as typed objects; enums come from the code they describe
 * (error codes, question types, languages) so the two cannot drift, and openapi.test.ts fails when
 * a route is added to the app without being described here.
 *
 * @example
 * const doc = openapiDocument("https://huiyin.example.gov.cn");
 * doc.paths["/api/v1/track/{code}"]?.get?.operationId; // "getTracking"
 */
import { OPINION_KINDS } from "../../forms/builtin/opinion.ts";
import { FORM_KINDS, LANGS, QUESTION_TYPES } from "../../forms/language.ts";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import { OPINION_STATES } from "../cases/opinion-machine.ts";
import { MAX_BODY_BYTES } from "../lib/body.ts";
import { ERROR_STATUS, type ErrorCode } from "../lib/errors.ts";

// ---------------------------------------------------------------------------------------------
// The subset of OpenAPI 3.1 (JSON Schema 2020-12) this document uses.

type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";

export interface SchemaObject {
  $ref?: string;
  type?: JsonType | JsonType[];
  title?: string;
  description?: string;
  format?: string;
  pattern?: string;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  propertyNames?: SchemaObject;
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  allOf?: SchemaObject[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  contentMediaType?: string;
  examples?: unknown[];
}

export interface ReferenceObject {
  $ref: string;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  description?: string;
  required?: boolean;
  schema: SchemaObject;
  example?: unknown;
}

export interface HeaderObject {
  description?: string;
  schema: SchemaObject;
}

export interface MediaTypeObject {
  schema: SchemaObject;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | ReferenceObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface RequestBodyObject {
  description?: string;
  required?: boolean;
  content: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (ParameterObject | ReferenceObject)[];
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject | ReferenceObject>;
  security?: Record<string, string[]>[];
}

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: {
    title: string;
    version: string;
    summary?: string;
    description?: string;
    license?: { name: string; identifier?: string };
  };
  jsonSchemaDialect?: string;
  servers: { url: string; description?: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    responses: Record<string, ResponseObject>;
    securitySchemes: Record<
      string,
      | { type: "http"; scheme: string; bearerFormat?: string; description?: string }
      | { type: "apiKey"; in: "cookie" | "header" | "query"; name: string; description?: string }
    >;
  };
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const schemaRef = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });
const paramRef = (name: string): ReferenceObject => ({ $ref: `#/components/parameters/${name}` });
const responseRef = (name: string): ReferenceObject => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

const REQUEST_ID = { "X-Request-Id": headerRef("X-Request-Id") };

const jsonResponse = (
  description: string,
  schema: SchemaObject,
  headers: Record<string, HeaderObject | ReferenceObject> = {},
): ResponseObject => ({
  description,
  headers: { ...REQUEST_ID, ...headers },
  content: { "application/json": { schema } },
});

const htmlResponse = (
  description: string,
  headers: Record<string, HeaderObject | ReferenceObject> = {},
): ResponseObject => ({
  description,
  headers: { "Content-Security-Policy": headerRef("Content-Security-Policy"), ...REQUEST_ID, ...headers },
  content: { "text/html": { schema: { type: "string", contentMediaType: "text/html" } } },
});

/** A JSON error response whose `code` is one of `codes` (the code decides the status). */
const errorResponse = (description: string, codes: ErrorCode[]): ResponseObject => ({
  description: `${description} Error codes: ${codes.map((c) => `\`${c}\``).join(", ")}.`,
  headers: { ...REQUEST_ID },
  content: {
    "application/json": {
      schema: {
        allOf: [
          schemaRef("Error"),
          {
            type: "object",
            properties: { error: { type: "object", properties: { code: { enum: codes } } } },
          },
        ],
      },
    },
  },
});

/** The same failure, answered by the no-JavaScript widget as an HTML page in the page's language. */
const htmlErrorResponse = (description: string, codes: ErrorCode[]): ResponseObject =>
  htmlResponse(`${description} (HTML page; error codes ${codes.map((c) => `\`${c}\``).join(", ")}).`);

const localized: SchemaObject = schemaRef("Localized");
const isoInstant: SchemaObject = { type: "string", format: "date-time" };
const beijingDay: SchemaObject = {
  type: "string",
  format: "date",
  description: "A Beijing calendar day (UTC+8), YYYY-MM-DD.",
};
const TRACKING_CODE_PATTERN = "^[2-9A-HJ-NP-Z]{12}$";

// ---------------------------------------------------------------------------------------------
// Component schemas

const schemas: Record<string, SchemaObject> = {
  Error: {
    type: "object",
    description:
      "The one error shape of the Worker. The code decides the HTTP status; messages come in Chinese and English; `issues` names each field at fault.",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["code", "message", "messageEn", "requestId"],
        additionalProperties: false,
        properties: {
          code: { type: "string", enum: Object.keys(ERROR_STATUS) },
          message: {
            type: "string",
            description: "简体中文说明",
            examples: ["提交的内容有误，请检查标出的项目"],
          },
          messageEn: {
            type: "string",
            description: "English explanation",
            examples: ["Some fields are invalid"],
          },
          issues: { type: "array", items: schemaRef("FieldIssue") },
          requestId: {
            type: "string",
            description: "Also sent as the X-Request-Id header; quote it when reporting a problem.",
          },
        },
      },
    },
    examples: [
      {
        error: {
          code: "validation_failed",
          message: "提交的内容有误，请检查标出的项目",
          messageEn: "Some fields are invalid",
          issues: [{ path: "answers.subject", message: "此项为必填项", messageEn: "This field is required" }],
          requestId: "8a16151b-9398-4a96-97b1-a47d8d961f9d",
        },
      },
    ],
  },
  FieldIssue: {
    type: "object",
    required: ["path", "message", "messageEn"],
    additionalProperties: false,
    properties: {
      path: {
        type: "string",
        description:
          "Where the problem is: `answers.<question id>`, `headers.Idempotency-Key`, `query.<name>`, `body`, `botCheck`, or a field of an event body.",
        examples: ["answers.contact"],
      },
      message: { type: "string" },
      messageEn: { type: "string" },
    },
  },
  Localized: {
    type: "object",
    description: "A text in both languages the product speaks.",
    required: [...LANGS],
    additionalProperties: false,
    properties: Object.fromEntries(LANGS.map((l) => [l, { type: "string", minLength: 1, maxLength: 2000 }])),
  },
  Question: {
    type: "object",
    required: ["id", "type", "required", "label"],
    additionalProperties: false,
    properties: {
      id: { type: "string", pattern: "^[a-z][a-zA-Z0-9_]{0,39}$", description: "The answer's key." },
      type: {
        type: "string",
        enum: [...QUESTION_TYPES],
        description: "`contact` takes a mainland mobile number or an e-mail address.",
      },
      required: { type: "boolean" },
      label: localized,
      help: localized,
      options: {
        type: "array",
        minItems: 1,
        maxItems: 50,
        description: "Only for `single` and `multiple`.",
        items: {
          type: "object",
          required: ["value", "label"],
          additionalProperties: false,
          properties: { value: { type: "string", minLength: 1, maxLength: 80 }, label: localized },
        },
      },
      maxLength: {
        type: "integer",
        minimum: 1,
        maximum: 20000,
        description: "Only for `text` and `textarea`.",
      },
      scale: {
        type: "integer",
        minimum: 2,
        maximum: 10,
        description: "Top of a `rating` scale (default 5).",
      },
      showIf: {
        type: "object",
        description: "Ask this question only when an earlier question's answer is `equals` or one of `in`.",
        required: ["question"],
        additionalProperties: false,
        properties: {
          question: { type: "string" },
          equals: { type: ["string", "boolean"] },
          in: { type: "array", items: { type: "string" } },
        },
      },
      personal: {
        type: "boolean",
        description: "Personal data (PIPL): encrypted at rest, masked for staff, never public.",
      },
      role: {
        type: "string",
        enum: ["category", "subject", "body", "name", "contact", "consentPublish"],
        description: "What the answer means for the case (its category, subject, body, …).",
      },
    },
  },
  FormDefinition: {
    type: "object",
    description:
      "The form language (forms/language.ts): one definition drives the server's validation and the widget.",
    required: ["id", "dept", "slug", "kind", "version", "title", "questions"],
    additionalProperties: false,
    properties: {
      id: { type: "string", minLength: 1, maxLength: 80, examples: ["demo/opinion"] },
      dept: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
      slug: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
      kind: { type: "string", enum: [...FORM_KINDS] },
      version: { type: "integer", minimum: 1 },
      title: localized,
      description: localized,
      privacyNotice: { ...localized, description: "个人信息保护告知, shown above the submit button." },
      questions: { type: "array", minItems: 1, maxItems: 200, items: schemaRef("Question") },
    },
  },
  FormResponse: {
    type: "object",
    required: ["status", "definition"],
    additionalProperties: false,
    properties: {
      status: {
        type: "string",
        enum: ["active", "coming_soon", "closed"],
        description: "Only an `active` form takes submissions.",
      },
      definition: schemaRef("FormDefinition"),
    },
  },
  Answers: {
    type: "object",
    description:
      "Answers by question id. Unknown ids are refused; blank answers count as not given; answers to questions hidden by `showIf` are dropped.",
    propertyNames: { pattern: "^[a-z][a-zA-Z0-9_]{0,39}$" },
    additionalProperties: {
      oneOf: [
        { type: "string", description: "text, textarea, single, phone, email, contact" },
        { type: "array", items: { type: "string" }, description: "multiple" },
        { type: "integer", description: "rating" },
        { type: "boolean", description: "consent" },
      ],
    },
    examples: [
      {
        kind: "suggest",
        subject: "建议延长周末门诊时间",
        body: "社区卫生服务中心周末只开半天，建议延长到下午五点。",
        contact: "13800138000",
        publish: true,
      },
    ],
  },
  SubmissionRequest: {
    type: "object",
    required: ["answers"],
    additionalProperties: false,
    properties: {
      answers: schemaRef("Answers"),
      lang: {
        type: "string",
        enum: [...LANGS],
        description: "Language of the citizen (default from the request).",
      },
      botCheck: {
        type: "string",
        maxLength: 8192,
        description:
          "Bot-check token: the base64 ALTCHA solution of GET /api/v1/challenge (default), a Turnstile token when the deployment uses Turnstile, or the widget's signed no-JavaScript token. Not needed where the bot check is off (local development).",
      },
    },
  },
  SubmissionForm: {
    type: "object",
    description:
      "A plain HTML form post: question ids as field names (a `multiple` answer repeats its name, a ticked consent box sends `on`), plus the widget's own fields.",
    properties: {
      _idempotency: {
        type: "string",
        description: "Idempotency key; used when the Idempotency-Key header is absent (the JSON API).",
      },
      _lang: { type: "string", enum: [...LANGS] },
      _t: {
        type: "string",
        description: "Signed single-use no-JavaScript token rendered into the widget form.",
      },
      altcha: { type: "string", description: "ALTCHA proof-of-work solution." },
      "cf-turnstile-response": { type: "string", description: "Turnstile token." },
    },
    additionalProperties: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
  },
  SubmissionResponse: {
    type: "object",
    required: ["trackingCode", "status", "kind", "category", "submittedAt", "dueDate", "trackUrl"],
    additionalProperties: false,
    properties: {
      trackingCode: {
        type: "string",
        pattern: TRACKING_CODE_PATTERN,
        description: "查询码: 12 characters without 0/O/1/I; shown to people as ABCD-EFGH-JKLM.",
      },
      status: { const: "received" },
      kind: { type: "string", enum: [...FORM_KINDS] },
      category: {
        type: "string",
        description: `The answer of the category question; for the opinion box one of ${OPINION_KINDS.map((k) => k.value).join(", ")}.`,
      },
      submittedAt: isoInstant,
      dueDate: { ...beijingDay, description: "Reply due (Beijing day), counted in working days." },
      trackUrl: {
        type: "string",
        examples: ["/t/DEMQ2345ABCD"],
        description: "The tracking page, relative.",
      },
    },
  },
  TrackResponse: {
    type: "object",
    description:
      "What the citizen may see: status, public timeline and reply; never personal data or the message.",
    required: [
      "trackingCode",
      "display",
      "kind",
      "category",
      "status",
      "submittedAt",
      "dueDate",
      "timeline",
      "reply",
    ],
    additionalProperties: false,
    properties: {
      trackingCode: { type: "string", pattern: TRACKING_CODE_PATTERN },
      display: { type: "string", pattern: "^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){2}$" },
      kind: { type: "string", enum: ["opinion", "disclosure"] },
      category: { type: "string" },
      status: {
        type: "string",
        description: `The case's state; an opinion is one of ${OPINION_STATES.join(", ")}.`,
      },
      submittedAt: isoInstant,
      dueDate: beijingDay,
      timeline: {
        type: "array",
        items: {
          type: "object",
          required: ["type", "at"],
          additionalProperties: false,
          properties: {
            type: { type: "string", examples: ["received", "assigned", "replied", "closed"] },
            at: isoInstant,
          },
        },
      },
      reply: { oneOf: [schemaRef("Reply"), { type: "null" }] },
    },
  },
  Reply: {
    type: "object",
    required: ["text", "at"],
    additionalProperties: false,
    properties: { text: { type: "string" }, at: isoInstant },
  },
  EchoWallPage: {
    type: "object",
    description:
      "Published opinions of a department (回音壁), newest first, 20 a page. Subject and body have phone numbers, ID numbers and e-mail addresses redacted.",
    required: ["dept", "items", "nextCursor"],
    additionalProperties: false,
    properties: {
      dept: {
        type: "object",
        required: ["slug", "name"],
        additionalProperties: false,
        properties: { slug: { type: "string" }, name: { type: "string" } },
      },
      items: {
        type: "array",
        maxItems: 20,
        items: {
          type: "object",
          required: ["id", "category", "subject", "body", "reply", "submittedOn", "repliedAt", "publishedAt"],
          additionalProperties: false,
          properties: {
            id: { type: "string", format: "uuid" },
            category: { type: "string" },
            subject: { type: "string" },
            body: { type: "string" },
            reply: { type: "string" },
            submittedOn: { type: "string", format: "date", description: "UTC day of submission." },
            repliedAt: { type: ["string", "null"], format: "date-time" },
            publishedAt: isoInstant,
          },
        },
      },
      nextCursor: {
        type: ["string", "null"],
        description: "Pass as `cursor` for the next page; null on the last page.",
      },
    },
  },
  AltchaChallenge: {
    type: "object",
    description:
      "An ALTCHA proof-of-work challenge: find `number` ≤ `maxnumber` with SHA-256(salt + number) = challenge, then send base64 of JSON {algorithm, challenge, number, salt, signature} as `botCheck`. Valid for 10 minutes; a solution is spent on first use.",
    required: ["algorithm", "challenge", "salt", "signature"],
    properties: {
      algorithm: { type: "string", examples: ["SHA-256"] },
      challenge: { type: "string", pattern: "^[0-9a-f]{64}$" },
      maxnumber: { type: "integer" },
      salt: { type: "string" },
      signature: { type: "string" },
    },
  },
  Health: {
    type: "object",
    required: ["ok"],
    additionalProperties: false,
    properties: { ok: { const: true } },
  },
  CaseSummary: {
    type: "object",
    required: [
      "trackingCode",
      "kind",
      "state",
      "category",
      "subject",
      "dueDate",
      "published",
      "assigneeId",
      "createdAt",
    ],
    additionalProperties: false,
    properties: {
      trackingCode: { type: "string", pattern: TRACKING_CODE_PATTERN },
      kind: { type: "string", enum: ["opinion", "disclosure"] },
      state: { type: "string", description: `An opinion is one of ${OPINION_STATES.join(", ")}.` },
      category: { type: "string" },
      subject: { type: "string" },
      dueDate: beijingDay,
      published: { type: "boolean", description: "Shown on the echo wall." },
      assigneeId: { type: ["string", "null"] },
      createdAt: isoInstant,
    },
  },
  CaseList: {
    type: "object",
    required: ["items", "nextCursor"],
    additionalProperties: false,
    properties: {
      items: { type: "array", items: schemaRef("CaseSummary") },
      nextCursor: { type: ["string", "null"] },
      searchPending: {
        type: "integer",
        minimum: 1,
        description:
          "Only with `q`, when the search index had not yet taken in about this many new or changed cases (a large backlog, e.g. after an upgrade; the scheduled worker takes it in). Absent normally.",
      },
    },
  },
  CaseDetail: {
    description: "A case with its answers, masked personal data, reply and full timeline.",
    allOf: [
      schemaRef("CaseSummary"),
      {
        type: "object",
        required: ["body", "answers", "personal", "consentPublish", "reply", "timeline"],
        properties: {
          body: { type: "string" },
          answers: {
            type: "object",
            description: "The answers that are not personal data.",
            additionalProperties: true,
          },
          personal: {
            type: "object",
            description: "Personal answers, masked (e.g. 138****8000, 张*).",
            additionalProperties: { type: "string" },
          },
          consentPublish: { type: "boolean" },
          reply: { oneOf: [schemaRef("Reply"), { type: "null" }] },
          timeline: {
            type: "array",
            items: {
              type: "object",
              required: ["type", "actorId", "data", "public", "at"],
              additionalProperties: false,
              properties: {
                type: { type: "string" },
                actorId: { type: ["string", "null"] },
                data: { type: "object", additionalProperties: true },
                public: { type: "boolean", description: "Shown on the citizen's tracking page." },
                at: isoInstant,
              },
            },
          },
        },
      },
    ],
  },
  CaseEvent: {
    description:
      "The one way to change a case. Opinions go received → assigned → replied → closed; a reply may come straight from received; publishing needs the citizen's consent and a reply.",
    oneOf: [
      schemaRef("AssignEvent"),
      schemaRef("ReplyEvent"),
      schemaRef("PublishEvent"),
      schemaRef("UnpublishEvent"),
      schemaRef("CloseEvent"),
    ],
    discriminator: {
      propertyName: "type",
      mapping: {
        assigned: "#/components/schemas/AssignEvent",
        replied: "#/components/schemas/ReplyEvent",
        published: "#/components/schemas/PublishEvent",
        unpublished: "#/components/schemas/UnpublishEvent",
        closed: "#/components/schemas/CloseEvent",
      },
    },
  },
  AssignEvent: {
    type: "object",
    required: ["type", "assignee"],
    additionalProperties: false,
    properties: {
      type: { const: "assigned" },
      assignee: {
        type: "string",
        format: "email",
        description: "An admin or handler of the case's department.",
      },
    },
  },
  ReplyEvent: {
    type: "object",
    required: ["type", "text"],
    additionalProperties: false,
    properties: {
      type: { const: "replied" },
      text: { type: "string", minLength: 1, maxLength: 10000, description: "Shown to the citizen." },
    },
  },
  PublishEvent: {
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: { type: { const: "published" } },
  },
  UnpublishEvent: {
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: { type: { const: "unpublished" } },
  },
  CloseEvent: {
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: { type: { const: "closed" } },
  },
};

// ---------------------------------------------------------------------------------------------
// Parameters, headers and shared responses

const parameters: Record<string, ParameterObject> = {
  dept: {
    name: "dept",
    in: "path",
    required: true,
    description: "The department's slug.",
    schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
    example: "demo",
  },
  form: {
    name: "form",
    in: "path",
    required: true,
    description: "The form's slug: `opinion`; `satisfaction` and `disclosure` are coming soon.",
    schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
    example: "opinion",
  },
  code: {
    name: "code",
    in: "path",
    required: true,
    description: "Tracking code; any case, dashes allowed (abcd-efgh-jklm).",
    schema: { type: "string", maxLength: 40 },
    example: "DEMQ-2345-ABCD",
  },
  lang: {
    name: "lang",
    in: "query",
    description: "Language; wins over Accept-Language. Default zh-CN.",
    schema: { type: "string", enum: [...LANGS] },
  },
  acceptLanguage: {
    name: "Accept-Language",
    in: "header",
    description: "The first language Huiyin speaks (zh*, en*) is used when `lang` is absent.",
    schema: { type: "string" },
    example: "en-US,en;q=0.9",
  },
  large: {
    name: "large",
    in: "query",
    description: "`1` renders the large-text mode (适老化).",
    schema: { type: "string", enum: ["1"] },
  },
  cursor: {
    name: "cursor",
    in: "query",
    description: "Opaque cursor from the previous page's `nextCursor`.",
    schema: { type: "string" },
  },
  idempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    description:
      "Required (or the `_idempotency` form field). The same key and body replays the first response (with `Idempotent-Replayed: true`), also for a concurrent duplicate (the key's record is written in the case's own transaction); the same key with another body gets 422. 409 only for a claim left in flight by a version before migration 0004. The widget sends a UUID.",
    schema: { type: "string", pattern: "^[\\x21-\\x7E]{1,255}$" },
    example: "0b6f2a1e-3c1d-4f7e-9a43-7c3a2d1e5f60",
  },
};

const headers: Record<string, HeaderObject> = {
  "X-Request-Id": {
    description: "Request id (Cloudflare's cf-ray when present); error bodies repeat it.",
    schema: { type: "string" },
  },
  "Content-Security-Policy": {
    description:
      "Pages list the SHA-256 of their inline script and style, load nothing from third parties, and may be framed only by the department's registered origins (`frame-ancestors`).",
    schema: { type: "string" },
  },
  "Cache-Control": { schema: { type: "string" } },
  ETag: { schema: { type: "string" } },
  Location: { schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } },
  "Idempotent-Replayed": {
    description: "`true` when this is the stored response of an earlier request with the same key.",
    schema: { type: "string", enum: ["true"] },
  },
  "WWW-Authenticate": { schema: { type: "string", examples: ['Bearer realm="huiyin"'] } },
};

const responses: Record<string, ResponseObject> = {
  NotFound: errorResponse("No such department, form, case or route.", ["not_found"]),
  Unauthorized: {
    ...errorResponse("No valid bearer token (missing, unknown, expired or revoked).", ["unauthorized"]),
    headers: { ...REQUEST_ID, "WWW-Authenticate": headerRef("WWW-Authenticate") },
  },
  RateLimited: {
    ...errorResponse("Too many submissions from this client for this form.", ["rate_limited"]),
    headers: { ...REQUEST_ID, "Retry-After": headerRef("Retry-After") },
  },
  Internal: errorResponse("Something failed on our side; nothing was half-written.", ["internal"]),
};

const bearer = [{ bearerAuth: [] }];

// ---------------------------------------------------------------------------------------------
// Staff pages (/admin): HTML for people, described so that every route is on record.

const session = [{ sessionCookie: [] }];

const redirect = (description: string): ResponseObject => ({
  description,
  headers: { Location: headerRef("Location"), ...REQUEST_ID },
});

/** A form body of a staff page: the CSRF token plus the page's own fields. */
const staffForm = (
  fields: Record<string, SchemaObject>,
  required: string[] = [],
  csrf = true,
): RequestBodyObject => ({
  required: true,
  content: {
    "application/x-www-form-urlencoded": {
      schema: {
        type: "object",
        required: [...(csrf ? ["_csrf"] : []), ...required],
        properties: {
          ...(csrf ? { _csrf: { type: "string", description: "The session's CSRF token." } } : {}),
          ...fields,
        },
      },
    },
  },
});

/** A staff page behind the session: signed-out GETs go to the sign-in page, signed-out POSTs get 401. */
function staffPage(
  method: "get" | "post",
  op: Omit<OperationObject, "tags" | "security"> & { public?: boolean },
): OperationObject {
  const { public: open, ...rest } = op;
  const gate: Record<string, ResponseObject | ReferenceObject> = open
    ? {}
    : method === "get"
      ? {
          "303": redirect(
            "Not signed in: to /admin/login?next=…, or to /admin/password while a one-time password is in use.",
          ),
        }
      : {
          "401": htmlResponse("Not signed in (or the session ended)."),
          "403": htmlResponse(
            "Cross-site request or a missing or stale `_csrf` token, or a role that may not do this.",
          ),
        };
  return {
    ...rest,
    tags: ["staff pages"],
    ...(open ? {} : { security: session }),
    responses: { ...gate, ...rest.responses, "500": htmlResponse("Something failed on our side.") },
  };
}

const codeParam = paramRef("code");

// The staff management pages (users, settings, templates, account, audit log).
const uuidPath = (name: string, what: string): ParameterObject => ({
  name,
  in: "path",
  required: true,
  description: what,
  schema: { type: "string", format: "uuid" },
});
const userIdParam = uuidPath("id", "The user's id (a member of the current department).");
const templateIdParam = uuidPath("id", "The reply template's id (of the current department).");
const tokenIdParam = uuidPath("id", "The id of one of the signed-in user's API tokens.");
const flashParam: ParameterObject = {
  name: "flash",
  in: "query",
  description: "Which confirmation to show.",
  schema: { type: "string" },
};
const ROLE_ENUM: SchemaObject = { type: "string", enum: ["admin", "handler", "appraiser", "viewer"] };
const managed = (op: {
  operationId: string;
  summary: string;
  description?: string;
  parameters?: (ParameterObject | ReferenceObject)[];
  requestBody?: RequestBodyObject;
  ok: Record<string, ResponseObject | ReferenceObject>;
  problems?: Record<string, string>;
}) =>
  staffPage("post", {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.parameters ? { parameters: op.parameters } : {}),
    requestBody: op.requestBody ?? staffForm({}),
    responses: {
      ...op.ok,
      ...Object.fromEntries(Object.entries(op.problems ?? {}).map(([k, d]) => [k, htmlResponse(d)])),
    },
  });
const auditFilters: ParameterObject[] = [
  {
    name: "action",
    in: "query",
    description: "Action prefix, e.g. `user.`",
    schema: { type: "string", pattern: "^[a-z0-9_.-]{1,60}$" },
  },
  {
    name: "actor",
    in: "query",
    description: "The acting user's e-mail.",
    schema: { type: "string", format: "email" },
  },
  {
    name: "from",
    in: "query",
    description: "Beijing day YYYY-MM-DD.",
    schema: { type: "string", format: "date" },
  },
  {
    name: "to",
    in: "query",
    description: "Beijing day YYYY-MM-DD.",
    schema: { type: "string", format: "date" },
  },
  { name: "result", in: "query", schema: { type: "string", enum: ["ok", "denied", "failed"] } },
];

function adminPagePaths(): Record<string, PathItemObject> {
  return {
    "/admin/login": {
      get: staffPage("get", {
        public: true,
        operationId: "adminLoginPage",
        summary: "Staff sign-in page",
        parameters: [
          {
            name: "next",
            in: "query",
            description: "Where to go after signing in (only /admin paths).",
            schema: { type: "string" },
          },
        ],
        responses: { "200": htmlResponse("The sign-in form.") },
      }),
      post: staffPage("post", {
        public: true,
        operationId: "adminLogin",
        summary: "Sign in",
        description:
          "Checks the password (with a growing lock after repeated failures) and starts a session. The one-time password from `npm run admin -- user:create` leads to the password page first.",
        requestBody: staffForm(
          {
            email: { type: "string", format: "email" },
            password: { type: "string" },
            next: { type: "string" },
          },
          ["email", "password"],
          false,
        ),
        responses: {
          "303": {
            ...redirect("Signed in: to `next`, /admin, or /admin/password."),
            headers: {
              Location: headerRef("Location"),
              "Set-Cookie": {
                description: `The ${SESSION_COOKIE} session cookie.`,
                schema: { type: "string" },
              },
              ...REQUEST_ID,
            },
          },
          "401": htmlResponse("The form again: e-mail or password wrong."),
          "403": htmlResponse("Cross-site sign-in refused (Origin)."),
          "429": htmlResponse(
            "The form again: too many attempts from this address, or the account is locked for a while.",
          ),
        },
      }),
    },
    "/admin/logout": {
      post: staffPage("post", {
        operationId: "adminLogout",
        summary: "Sign out",
        requestBody: staffForm({}),
        responses: { "303": redirect("Signed out: to /admin/login.") },
      }),
    },
    "/admin/password": {
      get: staffPage("get", {
        operationId: "adminPasswordPage",
        summary: "Change-password page",
        responses: { "200": htmlResponse("The form.") },
      }),
      post: staffPage("post", {
        operationId: "adminChangePassword",
        summary: "Change the password",
        description: "Ends every other session of the user; this browser gets a fresh one.",
        requestBody: staffForm(
          {
            current: { type: "string" },
            next: { type: "string", minLength: 10 },
            confirm: { type: "string" },
          },
          ["current", "next", "confirm"],
        ),
        responses: {
          "303": redirect("Changed: to /admin."),
          "400": htmlResponse("The form again: current password wrong, new one too weak or not confirmed."),
        },
      }),
    },
    "/admin/switch-dept": {
      post: staffPage("post", {
        operationId: "adminSwitchDept",
        summary: "Work in another of one's departments",
        requestBody: staffForm({ dept: { type: "string", description: "The department's id." } }, ["dept"]),
        responses: { "303": redirect("Switched: to /admin.") },
      }),
    },
    "/admin": {
      get: staffPage("get", {
        operationId: "adminDashboard",
        summary: "Dashboard: new, due soon and overdue cases of the current department",
        responses: { "200": htmlResponse("The dashboard.") },
      }),
    },
    "/admin/cases": {
      get: staffPage("get", {
        operationId: "adminCasesPage",
        summary: "Inbox with filters and search",
        parameters: [
          {
            name: "q",
            in: "query",
            description: "Search in subject, body and reply, or a tracking code.",
            schema: { type: "string", maxLength: 100 },
          },
          { name: "state", in: "query", schema: { type: "string", enum: [...OPINION_STATES] } },
          {
            name: "from",
            in: "query",
            description: "Beijing day YYYY-MM-DD.",
            schema: { type: "string", format: "date" },
          },
          {
            name: "to",
            in: "query",
            description: "Beijing day YYYY-MM-DD.",
            schema: { type: "string", format: "date" },
          },
          {
            name: "mine",
            in: "query",
            description: "`1`: assigned to me.",
            schema: { type: "string", enum: ["1"] },
          },
          {
            name: "open",
            in: "query",
            description: "`1`: still waiting for an answer.",
            schema: { type: "string", enum: ["1"] },
          },
          { name: "due", in: "query", schema: { type: "string", enum: ["overdue", "soon"] } },
          paramRef("cursor"),
        ],
        responses: { "200": htmlResponse("A page of cases.") },
      }),
    },
    "/admin/cases/{code}": {
      get: staffPage("get", {
        operationId: "adminCasePage",
        summary: "A case: message, masked personal data, timeline and the forms to act on it",
        parameters: [
          codeParam,
          {
            name: "template",
            in: "query",
            description: "A reply template to prefill.",
            schema: { type: "string" },
          },
          {
            name: "flash",
            in: "query",
            description: "Which confirmation to show.",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": htmlResponse("The case page."),
          "404": htmlResponse("No such case in the current department."),
        },
      }),
    },
    "/admin/cases/{code}/events": {
      post: staffPage("post", {
        operationId: "adminCaseEvent",
        summary: "Assign, reply, publish, unpublish or close (the same rules as the staff API)",
        parameters: [codeParam],
        requestBody: staffForm(
          {
            type: { type: "string", enum: ["assigned", "replied", "published", "unpublished", "closed"] },
            assignee: { type: "string", format: "email", description: "With `assigned`." },
            text: { type: "string", maxLength: 10000, description: "With `replied`." },
          },
          ["type"],
        ),
        responses: {
          "303": redirect("Done: back to the case page with a confirmation."),
          "400": htmlResponse("The case page with the problem (invalid event)."),
          "404": htmlResponse("No such case."),
          "409": htmlResponse(
            "The case page with the problem (not allowed in this state, or changed meanwhile).",
          ),
        },
      }),
    },
    "/admin/cases/{code}/reveal": {
      post: staffPage("post", {
        operationId: "adminRevealPersonal",
        summary: "Show the case's personal data in clear, for a stated reason (audited)",
        parameters: [codeParam],
        requestBody: staffForm({ reason: { type: "string", maxLength: 200 } }, ["reason"]),
        responses: {
          "200": htmlResponse("The case page with the personal data in clear."),
          "400": htmlResponse("The case page asking for a reason."),
          "404": htmlResponse("No such case."),
        },
      }),
    },
    "/admin/forms": {
      get: staffPage("get", {
        operationId: "adminFormsPage",
        summary: "The department's forms with their embed codes, links and QR codes",
        responses: { "200": htmlResponse("The forms with script, div, button and iframe embed codes.") },
      }),
    },
    "/admin/forms/{form}/poster.svg": {
      get: staffPage("get", {
        operationId: "adminFormPoster",
        summary: "A4 poster for the service hall: department, form, QR code, address, how to follow up",
        parameters: [paramRef("form")],
        responses: {
          "200": {
            description: "The poster (SVG, 210 × 297 mm).",
            headers: { ...REQUEST_ID, "Cache-Control": headerRef("Cache-Control") },
            content: { "image/svg+xml": { schema: { type: "string", contentMediaType: "image/svg+xml" } } },
          },
          "404": htmlResponse("The current department has no such form."),
        },
      }),
    },
    "/admin/forms/{form}/qr.png": {
      get: staffPage("get", {
        operationId: "adminFormQrPng",
        summary: "The QR code of the form's address alone, as a PNG (8 px a module, 4-module quiet zone)",
        parameters: [paramRef("form")],
        responses: {
          "200": {
            description: "The QR code (1-bit PNG).",
            headers: { ...REQUEST_ID, "Cache-Control": headerRef("Cache-Control") },
            content: { "image/png": { schema: { type: "string", contentMediaType: "image/png" } } },
          },
          "404": htmlResponse("The current department has no such form."),
        },
      }),
    },
    "/admin/users": {
      get: staffPage("get", {
        operationId: "adminUsersPage",
        summary: "The current department's users with role, status and last sign-in (users.manage)",
        parameters: [flashParam],
        responses: {
          "200": htmlResponse("The users and the add form."),
          "403": htmlResponse("Not an admin here."),
        },
      }),
      post: managed({
        operationId: "adminAddUser",
        summary:
          "Add a user: a new account with a one-time password shown once, or a role for an existing one",
        requestBody: staffForm(
          {
            email: { type: "string", format: "email", maxLength: 254 },
            name: { type: "string", maxLength: 60 },
            role: ROLE_ENUM,
          },
          ["email", "name", "role"],
        ),
        ok: { "200": htmlResponse("The result page (with the one-time password for a new account).") },
        problems: { "400": "The page with the invalid fields.", "409": "Already a member." },
      }),
    },
    "/admin/users/{id}/role": {
      post: managed({
        operationId: "adminChangeRole",
        summary: "Change a member's role (never the department's last enabled admin)",
        parameters: [userIdParam],
        requestBody: staffForm({ role: ROLE_ENUM }, ["role"]),
        ok: { "303": redirect("Changed: to /admin/users (or /admin/account after stepping down).") },
        problems: { "400": "Unknown role.", "404": "No such member.", "409": "The last admin." },
      }),
    },
    "/admin/users/{id}/reset-password": {
      post: managed({
        operationId: "adminResetPassword",
        summary: "Reset a member's password: a one-time password shown once; every session of the user ends",
        description:
          "A user who is a system admin or also in another department may be reset by a system admin only.",
        parameters: [userIdParam],
        ok: { "200": htmlResponse("The one-time password.") },
        problems: { "404": "No such member." },
      }),
    },
    "/admin/users/{id}/remove": {
      post: managed({
        operationId: "adminRemoveMember",
        summary: "Remove a member from the department (the account stays)",
        parameters: [userIdParam],
        ok: { "303": redirect("Removed: to /admin/users.") },
        problems: { "404": "No such member.", "409": "The last admin." },
      }),
    },
    "/admin/users/{id}/disable": {
      post: managed({
        operationId: "adminDisableUser",
        summary: "Disable an account: no sign-in, sessions and tokens stop working",
        parameters: [userIdParam],
        ok: { "303": redirect("Disabled: to /admin/users.") },
        problems: { "404": "No such member.", "409": "The last admin of a department." },
      }),
    },
    "/admin/users/{id}/enable": {
      post: managed({
        operationId: "adminEnableUser",
        summary: "Enable a disabled account",
        parameters: [userIdParam],
        ok: { "303": redirect("Enabled: to /admin/users.") },
        problems: { "404": "No such member." },
      }),
    },
    "/admin/settings": {
      get: staffPage("get", {
        operationId: "adminSettingsPage",
        summary:
          "Department settings: name, embedding origins, reply norms, channels, sub-units (settings.manage)",
        parameters: [flashParam],
        responses: { "200": htmlResponse("The settings."), "403": htmlResponse("Not an admin here.") },
      }),
    },
    "/admin/settings/name": {
      post: managed({
        operationId: "adminRenameDept",
        summary: "Rename the department",
        requestBody: staffForm({ name: { type: "string", maxLength: 100 } }, ["name"]),
        ok: { "303": redirect("Saved: to /admin/settings.") },
        problems: { "400": "The page with the problem." },
      }),
    },
    "/admin/settings/origins": {
      post: managed({
        operationId: "adminSetOrigins",
        summary: "Set the sites allowed to embed the widgets (one origin a line, e.g. http://localhost:*)",
        requestBody: staffForm({ origins: { type: "string", maxLength: 5000 } }, ["origins"]),
        ok: { "303": redirect("Saved: to /admin/settings.") },
        problems: { "400": "The page naming the bad line." },
      }),
    },
    "/admin/settings/norms": {
      post: managed({
        operationId: "adminSetNorms",
        summary: "Set the reply norms in working days (opinions, website error reports)",
        requestBody: staffForm(
          {
            replyDays: { type: "string", pattern: "^\\d+$", description: "1–60, default 10." },
            correctionDays: { type: "string", pattern: "^\\d+$", description: "1–60, default 3." },
          },
          ["replyDays", "correctionDays"],
        ),
        ok: { "303": redirect("Saved: to /admin/settings.") },
        problems: { "400": "The page with the problem." },
      }),
    },
    "/admin/settings/channels": {
      post: managed({
        operationId: "adminAddChannel",
        summary: "Add a notification channel (webhook, WeCom, DingTalk, Feishu robot or e-mail)",
        requestBody: staffForm(
          {
            type: { type: "string", enum: ["webhook", "wecom", "dingtalk", "feishu", "email"] },
            target: { type: "string", maxLength: 500, description: "https URL, or an e-mail address." },
            secret: {
              type: "string",
              maxLength: 200,
              description: "Optional signing secret (shown masked).",
            },
          },
          ["type", "target"],
        ),
        ok: { "303": redirect("Added: to /admin/settings.") },
        problems: { "400": "The page with the problem.", "409": "Changed meanwhile." },
      }),
    },
    "/admin/settings/channels/{handle}/delete": {
      post: managed({
        operationId: "adminDeleteChannel",
        summary: "Delete a notification channel",
        parameters: [
          {
            name: "handle",
            in: "path",
            required: true,
            description: "The channel's handle from the settings page.",
            schema: { type: "string", pattern: "^[0-9a-f]{16}$" },
          },
        ],
        ok: { "303": redirect("Deleted: to /admin/settings.") },
        problems: { "404": "No such channel.", "409": "Changed meanwhile." },
      }),
    },
    "/admin/settings/units": {
      post: managed({
        operationId: "adminCreateUnit",
        summary: "Create a sub-unit (科室 / 直属单位) with the built-in forms; the creator becomes its admin",
        requestBody: staffForm(
          {
            slug: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
            name: { type: "string", maxLength: 100 },
          },
          ["slug", "name"],
        ),
        ok: { "303": redirect("Created: to /admin/settings.") },
        problems: { "400": "The page with the problem.", "409": "The slug is taken." },
      }),
    },
    "/admin/departments": {
      post: managed({
        operationId: "adminCreateDepartment",
        summary: "Create a top-level department with the built-in forms (system admins only)",
        requestBody: staffForm(
          {
            slug: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,39}$" },
            name: { type: "string", maxLength: 100 },
          },
          ["slug", "name"],
        ),
        ok: { "303": redirect("Created: to /admin/settings.") },
        problems: { "400": "The page with the problem.", "409": "The slug is taken." },
      }),
    },
    "/admin/templates": {
      get: staffPage("get", {
        operationId: "adminTemplatesPage",
        summary: "The department's reply templates (templates.manage)",
        parameters: [flashParam],
        responses: { "200": htmlResponse("The templates and the create form.") },
      }),
      post: managed({
        operationId: "adminCreateTemplate",
        summary: "Create a reply template",
        requestBody: staffForm(
          { title: { type: "string", maxLength: 100 }, body: { type: "string", maxLength: 10000 } },
          ["title", "body"],
        ),
        ok: { "303": redirect("Created: to /admin/templates.") },
        problems: { "400": "The page with the problem." },
      }),
    },
    "/admin/templates/{id}": {
      get: staffPage("get", {
        operationId: "adminTemplatePage",
        summary: "Edit a reply template",
        parameters: [templateIdParam],
        responses: { "200": htmlResponse("The edit form."), "404": htmlResponse("No such template here.") },
      }),
      post: managed({
        operationId: "adminUpdateTemplate",
        summary: "Save a reply template",
        parameters: [templateIdParam],
        requestBody: staffForm(
          { title: { type: "string", maxLength: 100 }, body: { type: "string", maxLength: 10000 } },
          ["title", "body"],
        ),
        ok: { "303": redirect("Saved: to /admin/templates.") },
        problems: { "400": "The form with the problem.", "404": "No such template here." },
      }),
    },
    "/admin/templates/{id}/delete": {
      post: managed({
        operationId: "adminDeleteTemplate",
        summary: "Delete a reply template",
        parameters: [templateIdParam],
        ok: { "303": redirect("Deleted: to /admin/templates.") },
        problems: { "404": "No such template here." },
      }),
    },
    "/admin/account": {
      get: staffPage("get", {
        operationId: "adminAccountPage",
        summary: "My account: profile, roles, API tokens and live sessions",
        parameters: [flashParam],
        responses: { "200": htmlResponse("The account page.") },
      }),
    },
    "/admin/account/tokens": {
      post: managed({
        operationId: "adminCreateToken",
        summary: "Create a personal API token (`hy_…`), shown once and stored as its SHA-256",
        requestBody: staffForm(
          {
            name: { type: "string", maxLength: 60 },
            days: { type: "string", pattern: "^\\d+$", description: "Validity, 1–365 days (default 90)." },
          },
          ["name", "days"],
        ),
        ok: { "200": htmlResponse("The token, once.") },
        problems: { "400": "The page with the problem.", "409": "Too many live tokens." },
      }),
    },
    "/admin/account/tokens/{id}/revoke": {
      post: managed({
        operationId: "adminRevokeToken",
        summary: "Revoke one of my API tokens",
        parameters: [tokenIdParam],
        ok: { "303": redirect("Revoked: to /admin/account.") },
        problems: { "404": "No such live token of mine." },
      }),
    },
    "/admin/account/sessions/revoke-all": {
      post: managed({
        operationId: "adminSignOutEverywhere",
        summary: "Sign out everywhere: every session of mine ends, this one included",
        ok: { "303": redirect("Signed out: to /admin/login.") },
      }),
    },
    "/admin/audit": {
      get: staffPage("get", {
        operationId: "adminAuditPage",
        summary: "The department's audit log, newest first, filtered, by keyset pages (audit.read)",
        parameters: [...auditFilters, paramRef("cursor")],
        responses: {
          "200": htmlResponse("A page of entries."),
          "400": htmlResponse("A filter is invalid."),
          "403": htmlResponse("Not an admin here."),
        },
      }),
    },
    "/admin/audit/export.csv": {
      get: staffPage("get", {
        operationId: "adminAuditExport",
        summary: "The filtered audit log as CSV (UTF-8 with BOM, RFC 4180, formula cells defused), streamed",
        parameters: auditFilters,
        responses: {
          "200": {
            description: "The CSV file (the export itself is audited).",
            headers: { ...REQUEST_ID, "Cache-Control": headerRef("Cache-Control") },
            content: { "text/csv": { schema: { type: "string", contentMediaType: "text/csv" } } },
          },
          "400": htmlResponse("A filter is invalid."),
          "403": htmlResponse("Not an admin here."),
        },
      }),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Paths

const formPageParams = [paramRef("dept"), paramRef("form"), paramRef("lang"), paramRef("acceptLanguage")];

const paths: Record<string, PathItemObject> = {
  "/api/v1/forms/{dept}/{form}": {
    get: {
      operationId: "getForm",
      tags: ["public"],
      summary: "A form's definition and status",
      description: "Cached for 60 s. Coming-soon forms answer with status `coming_soon`.",
      parameters: [paramRef("dept"), paramRef("form")],
      responses: {
        "200": jsonResponse("The form.", schemaRef("FormResponse"), {
          "Cache-Control": headerRef("Cache-Control"),
        }),
        "404": responseRef("NotFound"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/forms/{dept}/{form}/submissions": {
    post: {
      operationId: "submitForm",
      tags: ["public"],
      summary: "Submit answers; returns a tracking code",
      description: `The body is JSON or a plain form post, at most ${MAX_BODY_BYTES / 1024} KB of UTF-8. Checks in order: media type and size, form open, idempotency key present, answers, replay of an earlier request with the key, bot check, rate limit. The case, its first event and the idempotency record are stored in one transaction.`,
      parameters: [
        paramRef("dept"),
        paramRef("form"),
        paramRef("idempotencyKey"),
        paramRef("acceptLanguage"),
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: schemaRef("SubmissionRequest"),
            example: {
              answers: { kind: "consult", subject: "门诊时间", body: "周末门诊几点结束？" },
              lang: "zh-CN",
            },
          },
          "application/x-www-form-urlencoded": { schema: schemaRef("SubmissionForm") },
        },
      },
      responses: {
        "201": jsonResponse(
          "Stored (or the replay of an earlier request with the same key).",
          schemaRef("SubmissionResponse"),
          {
            "Idempotent-Replayed": headerRef("Idempotent-Replayed"),
            "Cache-Control": headerRef("Cache-Control"),
          },
        ),
        "400": errorResponse(
          "Invalid answers (each issue names its field), malformed or empty body, or a missing or malformed Idempotency-Key.",
          ["validation_failed", "bad_request", "missing_idempotency_key"],
        ),
        "403": errorResponse("The bot check failed (missing, invalid, expired or spent token).", [
          "bot_check_failed",
        ]),
        "404": responseRef("NotFound"),
        "409": errorResponse(
          "A request with this key is still being processed, or the form is not open (coming soon, closed).",
          ["idempotency_in_flight", "form_unavailable"],
        ),
        "413": errorResponse(`The body is larger than ${MAX_BODY_BYTES / 1024} KB.`, ["payload_too_large"]),
        "415": errorResponse("Neither application/json nor application/x-www-form-urlencoded.", [
          "unsupported_media_type",
        ]),
        "422": errorResponse("The Idempotency-Key was already used with a different body.", [
          "idempotency_key_reused",
        ]),
        "429": responseRef("RateLimited"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/track/{code}": {
    get: {
      operationId: "getTracking",
      tags: ["public"],
      summary: "Status, public timeline and reply of a case",
      parameters: [paramRef("code")],
      responses: {
        "200": jsonResponse("The case as the citizen sees it.", schemaRef("TrackResponse")),
        "404": responseRef("NotFound"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/echo-wall/{dept}": {
    get: {
      operationId: "getEchoWall",
      tags: ["public"],
      summary: "The department's echo wall (回音壁), a page at a time",
      description: "Cached for 30 s.",
      parameters: [paramRef("dept"), paramRef("cursor")],
      responses: {
        "200": jsonResponse("A page of published opinions with their replies.", schemaRef("EchoWallPage")),
        "400": errorResponse("The cursor is not one we issued.", ["bad_request"]),
        "404": responseRef("NotFound"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/challenge": {
    get: {
      operationId: "getChallenge",
      tags: ["public"],
      summary: "A fresh proof-of-work challenge for the bot check",
      responses: {
        "200": jsonResponse("An ALTCHA challenge.", schemaRef("AltchaChallenge")),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/openapi.json": {
    get: {
      operationId: "getOpenApi",
      tags: ["meta"],
      summary: "This document",
      responses: {
        "200": jsonResponse("OpenAPI 3.1.", { type: "object", additionalProperties: true }),
      },
    },
  },
  "/api/v1/admin/cases": {
    get: {
      operationId: "listCases",
      tags: ["staff"],
      summary: "Cases of the caller's departments, newest first",
      description:
        "A system administrator sees every department. A listing is in creation order; a search (`q`) in order of arrival, which is the same but for cases stored within the same few milliseconds. A cursor belongs to its kind of page: a listing's cursor given to a search starts the search from the top.",
      security: bearer,
      parameters: [
        { name: "kind", in: "query", schema: { type: "string", enum: ["opinion", "disclosure"] } },
        {
          name: "state",
          in: "query",
          schema: { type: "string", pattern: "^[a-z_]{1,30}$" },
          example: "received",
        },
        {
          name: "from",
          in: "query",
          description:
            "Created on or after: a Beijing day (YYYY-MM-DD, from its first instant) or an ISO 8601 instant.",
          schema: { type: "string" },
          example: "2026-01-01",
        },
        {
          name: "to",
          in: "query",
          description: "Created on or before: a Beijing day (to its last instant) or an ISO 8601 instant.",
          schema: { type: "string" },
        },
        {
          name: "q",
          in: "query",
          description:
            "Search subject, body and reply for this exact substring, of any length (1–100 characters; Chinese needs no spaces). A tracking code (any case, spaces or dashes) finds its case alone.",
          schema: { type: "string", minLength: 1, maxLength: 100 },
          example: "门诊",
        },
        paramRef("cursor"),
        {
          name: "limit",
          in: "query",
          description: "Page size, 1–100 (values outside are clamped).",
          schema: { type: "string", pattern: "^\\d{1,3}$", default: "20" },
        },
      ],
      responses: {
        "200": jsonResponse("A page of cases.", schemaRef("CaseList"), {
          "Cache-Control": headerRef("Cache-Control"),
        }),
        "400": errorResponse("A query parameter is invalid (unknown, malformed date, bad cursor).", [
          "validation_failed",
          "bad_request",
        ]),
        "401": responseRef("Unauthorized"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/admin/cases/{code}": {
    get: {
      operationId: "getCase",
      tags: ["staff"],
      summary: "One case with answers, masked personal data and the full timeline",
      security: bearer,
      parameters: [paramRef("code")],
      responses: {
        "200": jsonResponse("The case.", schemaRef("CaseDetail"), {
          "Cache-Control": headerRef("Cache-Control"),
        }),
        "401": responseRef("Unauthorized"),
        "404": errorResponse(
          "No such case in the caller's departments (another department's case is not found, never forbidden).",
          ["not_found"],
        ),
        "500": responseRef("Internal"),
      },
    },
  },
  "/api/v1/admin/cases/{code}/events": {
    post: {
      operationId: "postCaseEvent",
      tags: ["staff"],
      summary: "Assign, reply, publish, unpublish or close a case",
      description:
        "Needs the admin or handler role in the case's department. Every attempt is written to the audit log. Public events (assigned, replied, closed) appear on the citizen's tracking page.",
      security: bearer,
      parameters: [paramRef("code")],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: schemaRef("CaseEvent"),
            examples: {
              reply: { summary: "Reply", value: { type: "replied", text: "感谢您的建议，我们已……" } },
              publish: { summary: "Publish on the echo wall", value: { type: "published" } },
            },
          },
        },
      },
      responses: {
        "201": jsonResponse("The event was recorded; the case as it is now.", schemaRef("CaseSummary")),
        "400": errorResponse(
          "Malformed JSON, unknown event type or field, or an assignee who is not a handler here.",
          ["validation_failed", "bad_request"],
        ),
        "401": responseRef("Unauthorized"),
        "403": errorResponse("The caller's role (viewer) may not change cases.", ["forbidden"]),
        "404": errorResponse("No such case in the caller's departments.", ["not_found"]),
        "409": errorResponse("Not allowed in the case's state, or the case changed meanwhile (retry).", [
          "invalid_transition",
          "conflict",
        ]),
        "500": responseRef("Internal"),
      },
    },
  },
  "/w/{dept}/{form}": {
    get: {
      operationId: "widgetPage",
      tags: ["pages"],
      summary: "The widget: the form, server-rendered",
      description:
        "Works without JavaScript (a plain POST to the same address); an inlined script adds instant validation, conditional questions, a saved draft and retries. A coming-soon form shows a notice instead of the form. Framable only by the department's allowed origins.",
      parameters: [
        ...formPageParams,
        paramRef("large"),
        {
          name: "embed",
          in: "query",
          description: "Set by embed.js (`1`); the page is the same.",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": htmlResponse("The form page."),
        "404": responseRef("NotFound"),
        "500": responseRef("Internal"),
      },
    },
    post: {
      operationId: "widgetSubmit",
      tags: ["pages"],
      summary: "The no-JavaScript submit",
      description:
        "Takes the widget's form post (with its hidden `_idempotency`, `_lang` and, where the bot check is on, the signed `_t` token) and answers with an HTML receipt, or with the form again showing the entered values and each field's error.",
      parameters: [...formPageParams, paramRef("large")],
      requestBody: {
        required: true,
        content: { "application/x-www-form-urlencoded": { schema: schemaRef("SubmissionForm") } },
      },
      responses: {
        "201": htmlResponse("Receipt page with the tracking code and a link to the tracking page."),
        "400": htmlResponse(
          "The form again with the entered values and the errors tied to their fields; or a page explaining a missing idempotency key or malformed body.",
        ),
        "403": htmlErrorResponse("Bot check failed", ["bot_check_failed"]),
        "404": responseRef("NotFound"),
        "409": htmlErrorResponse("Still being processed, or the form is not open", [
          "idempotency_in_flight",
          "form_unavailable",
        ]),
        "413": htmlErrorResponse("Body too large", ["payload_too_large"]),
        "415": htmlErrorResponse("Not a form post", ["unsupported_media_type"]),
        "422": htmlErrorResponse("Idempotency key reused with other answers", ["idempotency_key_reused"]),
        "429": {
          ...htmlErrorResponse("Too many submissions", ["rate_limited"]),
          headers: {
            "Content-Security-Policy": headerRef("Content-Security-Policy"),
            "Retry-After": headerRef("Retry-After"),
            ...REQUEST_ID,
          },
        },
        "500": responseRef("Internal"),
      },
    },
  },
  "/t": {
    get: {
      operationId: "trackLookupPage",
      tags: ["pages"],
      summary: "Tracking-code lookup page",
      parameters: [
        {
          name: "code",
          in: "query",
          description: "A tracking code as typed; a valid one redirects to /t/{code}.",
          schema: { type: "string" },
        },
        paramRef("lang"),
        paramRef("acceptLanguage"),
        paramRef("large"),
      ],
      responses: {
        "200": htmlResponse("The lookup form (with an error when `code` cannot be a tracking code)."),
        "303": {
          description: "Redirect to the tracking page of the normalised code.",
          headers: { Location: headerRef("Location"), ...REQUEST_ID },
        },
      },
    },
  },
  "/t/{code}": {
    get: {
      operationId: "trackPage",
      tags: ["pages"],
      summary: "Tracking page: status, timeline and reply",
      parameters: [paramRef("code"), paramRef("lang"), paramRef("acceptLanguage"), paramRef("large")],
      responses: {
        "200": htmlResponse("The case as the citizen sees it."),
        "404": htmlResponse("The lookup form with a 'no such code' message."),
        "500": responseRef("Internal"),
      },
    },
  },
  "/echo/{dept}": {
    get: {
      operationId: "echoWallPage",
      tags: ["pages"],
      summary: "The echo wall (回音壁) page",
      parameters: [
        paramRef("dept"),
        paramRef("cursor"),
        paramRef("lang"),
        paramRef("acceptLanguage"),
        paramRef("large"),
      ],
      responses: {
        "200": htmlResponse("Published opinions with their replies, newest first."),
        "400": errorResponse("The cursor is not one we issued.", ["bad_request"]),
        "404": responseRef("NotFound"),
        "500": responseRef("Internal"),
      },
    },
  },
  "/embed.js": {
    get: {
      operationId: "embedScript",
      tags: ["pages"],
      summary: "The embed script a department site adds with one tag",
      description:
        'Usage: `<script src="https://<worker>/embed.js" data-huiyin-form="demo/opinion" async></script>`, or `<div data-huiyin-form="demo/opinion">` elements; `data-huiyin-mode="button"` opens the form in a dialog; `data-huiyin-lang="en"`.',
      parameters: [
        {
          name: "If-None-Match",
          in: "header",
          description: "The ETag of a cached copy.",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "JavaScript, cached for an hour.",
          headers: {
            ETag: headerRef("ETag"),
            "Cache-Control": headerRef("Cache-Control"),
            ...REQUEST_ID,
          },
          content: { "text/javascript": { schema: { type: "string", contentMediaType: "text/javascript" } } },
        },
        "304": {
          description: "The cached copy is current.",
          headers: { ETag: headerRef("ETag"), "Cache-Control": headerRef("Cache-Control"), ...REQUEST_ID },
        },
      },
    },
  },
  ...adminPagePaths(),
  "/healthz": {
    get: {
      operationId: "health",
      tags: ["meta"],
      summary: "Liveness",
      responses: { "200": jsonResponse("The Worker answers.", schemaRef("Health")) },
    },
  },
};

/** The document, with `origin` as its server (the deployment that serves it). */
export function openapiDocument(origin: string): OpenApiDocument {
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: {
      title: "Huiyin (回音) API",
      version: "1",
      summary: "Opinion box, tracking, echo wall and the staff case API of a government department.",
      description:
        "Public routes need no authentication; staff routes under /api/v1/admin take `Authorization: Bearer <token>` (create one with `npm run admin -- token:create <email>`). Every error is `{ error: { code, message, messageEn, issues?, requestId } }`; `message` is Chinese, `messageEn` English. Pages under /w, /t and /echo are HTML for citizens and for iframes.",
    },
    servers: [{ url: origin }],
    tags: [
      { name: "public", description: "Citizen-facing JSON API." },
      { name: "staff", description: "Department staff: cases and their events." },
      { name: "pages", description: "Server-rendered pages and the embed script." },
      { name: "meta", description: "Health and this description." },
      {
        name: "staff pages",
        description:
          "Server-rendered staff pages under /admin (never framable, never cached). Errors there are HTML pages in the same error vocabulary.",
      },
    ],
    paths,
    components: {
      schemas,
      parameters,
      headers,
      responses,
      securitySchemes: {
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description:
            "The staff pages' session (HttpOnly, Secure, SameSite=Lax; 30 minutes idle, 12 hours at most), set by POST /admin/login, or on a page load that carries a valid Cf-Access-Jwt-Assertion where Cloudflare Access is configured. Every POST also carries the session's `_csrf` form field and, when the browser sends one, a same-origin Origin header.",
        },
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "opaque (hy_…)",
          description:
            "An API token from `npm run admin -- token:create <email>`; stored hashed, shown once.",
        },
      },
    },
  };
}
