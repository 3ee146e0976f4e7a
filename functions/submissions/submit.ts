/**
 * Taking a citizen's submission: validate against the form, check for bots and rate, then store the
 * case, its first event and the idempotency record in one D1 batch, which also settles a duplicate.
 */
import * as v from "valibot";
import { type Answers, compileForm, validateAnswers } from "../../forms/compile.ts";
import type { FormDefinition, Lang } from "../../forms/language.ts";
import type { Db } from "../../schema/db.ts";
import {
  findIdempotency,
  type IdempotencyRow,
  isTrackingCodeConflict,
  type NewCase,
  storeSubmission,
} from "../../schema/queries/cases.ts";
import type { LoadedForm } from "../../schema/queries/forms.ts";
import { alreadySpent, isSpentConflict, type SpentSolution, verifyBotCheck } from "../abuse/bot-check.ts";
import { enforceSubmitRateLimit } from "../abuse/rate-limit.ts";
import { encryptPersonal, sha256Hex } from "../lib/crypto.ts";
import type { Env } from "../lib/env.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { newTrackingCode } from "../lib/tracking-code.ts";
import { addWorkingDays, beijingDate } from "../lib/working-days.ts";

export interface SubmissionResponse {
  trackingCode: string;
  status: "received";
  kind: string;
  category: string;
  submittedAt: string;
  dueDate: string;
  trackUrl: string;
}

export interface SubmitInput {
  answers: unknown;
  lang: Lang;
  idempotencyKey: string | undefined;
  botToken: string | undefined;
  clientIp: string;
}

export interface SubmitOutcome {
  status: number;
  body: SubmissionResponse;
  replayed: boolean;
}

/** Printable ASCII, 1–255 characters: wide enough for UUIDs and client-made keys. */
const IdempotencyKeySchema = v.pipe(v.string(), v.regex(/^[\x21-\x7E]{1,255}$/));

/** Reply norms in working days (DESIGN §2; 纠错 per 国办秘函〔2019〕19号 practice), overridable per department. */
export const DEFAULT_REPLY_DAYS = 10;
export const DEFAULT_CORRECTION_DAYS = 3;

const compiled = new Map<string, ReturnType<typeof compileForm>>();
function schemaFor(formId: string, def: FormDefinition) {
  const key = `${formId}@${def.version}`;
  let schema = compiled.get(key);
  if (!schema) {
    schema = compileForm(def);
    compiled.set(key, schema);
  }
  return schema;
}

/** Canonical JSON (sorted keys) so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

const inFlight = () =>
  new AppError(
    "idempotency_in_flight",
    "相同的提交正在处理中，请稍候",
    "A request with this Idempotency-Key is still being processed",
  );
const reused = () =>
  new AppError(
    "idempotency_key_reused",
    "该幂等键已用于另一份不同的提交",
    "This Idempotency-Key was already used with a different body",
  );

/**
 * The answer for a key whose record another request wrote. `in_flight` records are claims of the
 * two-step protocol before migration 0004 (this code writes every record `done`, in the batch that
 * stores its case): a fresh one is answered 409, a stale one is taken over by the batch itself.
 */
function settle(row: IdempotencyRow, hash: string): SubmitOutcome {
  if (row.requestHash !== hash) throw reused();
  if (row.status === "done") {
    return { status: row.responseStatus ?? 201, body: JSON.parse(row.responseBody ?? "{}"), replayed: true };
  }
  // A stale claim of the same body was taken over by the batch; if another request's batch got
  // there first, this one is told to retry like any duplicate in flight.
  throw inFlight();
}

export async function submit(env: Env, db: Db, form: LoadedForm, input: SubmitInput): Promise<SubmitOutcome> {
  if (form.status !== "active") {
    throw new AppError(
      "form_unavailable",
      "该表单暂未开放，敬请期待",
      "This form is not open yet (coming soon)",
    );
  }
  const key = input.idempotencyKey;
  if (key === undefined || key === "") {
    throw new AppError(
      "missing_idempotency_key",
      "缺少 Idempotency-Key 请求头",
      "The Idempotency-Key header is required",
      {
        issues: [{ path: "headers.Idempotency-Key", message: "必须提供", messageEn: "Required" }],
      },
    );
  }
  if (!v.is(IdempotencyKeySchema, key)) {
    throw new AppError(
      "bad_request",
      "Idempotency-Key 格式不正确",
      "Idempotency-Key must be 1–255 printable ASCII characters",
      {
        issues: [{ path: "headers.Idempotency-Key", message: "格式不正确", messageEn: "Invalid format" }],
      },
    );
  }
  const checked = validateAnswers(schemaFor(form.id, form.definition), input.answers);
  if (!checked.success) throw validationError(checked.issues);
  const answers = checked.answers;

  const now = Date.now();
  const hash = await sha256Hex(canonical({ answers, lang: input.lang }));
  let spend: SpentSolution | null;
  try {
    spend = await verifyBotCheck(env, input.botToken, input.clientIp);
    await enforceSubmitRateLimit(env, form.id, input.clientIp);
  } catch (error) {
    // A retry of a stored submission gets its answer even though its single-use token is spent by
    // now, or expired, or the client is over the rate limit: this read is paid only on refusals.
    const row = await findIdempotency(db, form.id, key);
    if (row && (row.status === "done" || row.requestHash !== hash)) return settle(row, hash);
    throw error;
  }

  // One D1 call for a new submission: a fresh key stores the case; a duplicate (concurrent or later)
  // writes nothing and then reads the record the first one wrote. The record and the case are
  // written in one transaction, so no request ever sees another "in flight": a concurrent duplicate
  // gets the stored answer, not a 409.
  for (let attempt = 1; ; attempt++) {
    const prepared = await prepareCase(env, form, answers, input.lang, now);
    try {
      const result = await storeSubmission(db, {
        row: prepared.row,
        firstEvent: { type: "received", data: {}, public: true },
        idem: {
          formId: form.id,
          key,
          requestHash: hash,
          responseStatus: 201,
          responseBody: JSON.stringify(prepared.response),
        },
        spend: spend ?? undefined,
        now,
      });
      if (result.stored) return { status: 201, body: prepared.response, replayed: false };
      // The record can only be missing if it expired between the batch and this read: retry.
      if (!result.record) throw inFlight();
      return settle(result.record, hash);
    } catch (error) {
      if (isSpentConflict(error)) throw alreadySpent();
      if (isTrackingCodeConflict(error) && attempt < 3) continue;
      throw error;
    }
  }
}

async function prepareCase(
  env: Env,
  form: LoadedForm,
  answers: Answers,
  lang: Lang,
  now: number,
): Promise<{ row: NewCase; response: SubmissionResponse }> {
  const def = form.definition;
  const byRole = (role: string) => def.questions.find((q) => q.role === role)?.id;
  const pick = (role: string) => {
    const id = byRole(role);
    return id === undefined ? undefined : answers[id];
  };

  const personal: Record<string, unknown> = {};
  const open: Record<string, unknown> = {};
  for (const q of def.questions) {
    if (answers[q.id] === undefined) continue;
    (q.personal ? personal : open)[q.id] = answers[q.id];
  }

  const id = crypto.randomUUID();
  const category = String(pick("category") ?? "");
  const settings = form.deptSettings ?? {};
  const days =
    category === "correction"
      ? (settings.correctionDays ?? DEFAULT_CORRECTION_DAYS)
      : (settings.replyDays ?? DEFAULT_REPLY_DAYS);
  const received = beijingDate(now);
  const trackingCode = newTrackingCode();
  let personalEnc: string | null = null;
  if (Object.keys(personal).length) {
    if (!env.DATA_KEY) throw new AppError("internal", "服务配置不完整", "DATA_KEY is not configured");
    personalEnc = await encryptPersonal(env.DATA_KEY, JSON.stringify(personal), id);
  }

  const response: SubmissionResponse = {
    trackingCode,
    status: "received",
    kind: def.kind,
    category,
    submittedAt: new Date(now).toISOString(),
    dueDate: addWorkingDays(received, days),
    trackUrl: `/t/${trackingCode}`,
  };
  const row: NewCase = {
    id,
    deptId: form.deptId,
    formId: form.id,
    kind: def.kind === "disclosure" ? "disclosure" : "opinion",
    trackingCode,
    state: "received",
    category,
    subject: String(pick("subject") ?? ""),
    body: String(pick("body") ?? ""),
    answers: open,
    personalEnc,
    consentPublish: pick("consentPublish") === true,
    dueDate: response.dueDate,
    lang,
    createdAt: now,
    updatedAt: now,
  };
  return { row, response };
}
