/**
 * The form compiler: a definition becomes the valibot schema that the server validates answers
 * with. The widget renders the same definition (render.tsx), so both sides apply the same rules.
 *
 * @example
 * const schema = compileForm(def);
 * const result = validateAnswers(schema, { kind: "suggest", subject: "…", body: "…" });
 * if (!result.success) console.log(result.issues); // [{ path: "answers.body", message, messageEn }]
 */
import * as v from "valibot";
import { type FormDefinition, isShown, type Question } from "./language.ts";
import { translate } from "./messages.ts";

export type Answers = Record<string, string | string[] | number | boolean>;

/** Default length limits when a definition gives none. */
export const DEFAULT_MAX_LENGTH = { text: 200, textarea: 5000 } as const;

// C0 controls other than tab, line feed and carriage return; DEL; C1 controls; lone surrogates.
const FORBIDDEN_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
const clean = (s: string) => !FORBIDDEN_CHARS.test(s);

/** Mainland mobile numbers: 11 digits starting 13–19; `+86`, spaces and dashes are tolerated. */
export const MOBILE = /^1[3-9]\d{9}$/;
export function normalizePhone(input: string): string {
  return input.replace(/[\s-]/g, "").replace(/^(\+?86)(?=1\d{10}$)/, "");
}

const charCount = (s: string) => [...s].length;

function textSchema(max: number) {
  return v.pipe(
    v.string("type_text"),
    v.trim(),
    v.check(clean, "control_chars"),
    v.check((s) => charCount(s) <= max, `too_long:${max}`),
  );
}

const emailSchema = v.pipe(v.string("type_text"), v.trim(), v.maxLength(254, "email"), v.email("email"));
const phoneSchema = v.pipe(v.string("type_text"), v.transform(normalizePhone), v.regex(MOBILE, "phone"));

function questionSchema(q: Question): v.GenericSchema<unknown, unknown> {
  switch (q.type) {
    case "text":
    case "textarea":
      return textSchema(q.maxLength ?? DEFAULT_MAX_LENGTH[q.type]);
    case "single":
      return v.pipe(
        v.string("type_choice"),
        v.picklist(
          q.options!.map((o) => o.value),
          "not_option",
        ),
      );
    case "multiple":
      return v.pipe(
        v.array(
          v.pipe(
            v.string("type_choice"),
            v.picklist(
              q.options!.map((o) => o.value),
              "not_option",
            ),
          ),
          "type_choices",
        ),
        v.check((xs) => new Set(xs).size === xs.length, "duplicate_choice"),
      );
    case "rating": {
      const top = q.scale ?? 5;
      const range = `rating_range:${top}`;
      return v.pipe(v.number("type_rating"), v.integer(range), v.minValue(1, range), v.maxValue(top, range));
    }
    case "phone":
      return phoneSchema;
    case "email":
      return emailSchema;
    case "contact":
      return v.pipe(
        v.string("type_text"),
        v.trim(),
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed) return;
          const s = dataset.value;
          const ok = s.includes("@") ? v.is(emailSchema, s) : MOBILE.test(normalizePhone(s));
          if (!ok) addIssue({ message: "contact" });
        }),
        v.transform((s) => (s.includes("@") ? s : normalizePhone(s))),
      );
    case "consent":
      return q.required
        ? v.pipe(v.boolean("type_boolean"), v.value(true, "consent_required"))
        : v.boolean("type_boolean");
  }
}

/** Blank answers count as not given: "", whitespace, null and [] are dropped before validation. */
function dropBlank(input: Record<string, unknown>): Record<string, unknown> {
  // No prototype: a "__proto__" key stays an own key, so the strict object below refuses it.
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, val] of Object.entries(input)) {
    if (val === null || val === undefined) continue;
    if (typeof val === "string" && val.trim() === "") continue;
    if (Array.isArray(val) && val.length === 0) continue;
    out[k] = val;
  }
  return out;
}

/**
 * Drops the answers to questions that are not shown, before validation: the person cannot see or
 * correct them, so they must not be refused for them. Questions are taken in order, so one whose
 * condition depends on a hidden question is hidden too (as in the widget). Conditions compare the
 * trimmed text, as the validated answers will be.
 */
function dropHidden(def: FormDefinition, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, val] of Object.entries(input)) out[k] = typeof val === "string" ? val.trim() : val;
  for (const q of def.questions) if (!isShown(q, out)) delete out[q.id];
  for (const k of Object.keys(out)) out[k] = input[k];
  return out;
}

/**
 * Compiles a definition to a valibot schema over the `answers` object: unknown keys are refused,
 * each answer is checked by its question's type, a required question must be answered when it is
 * shown, and answers to hidden questions are dropped.
 */
export function compileForm(def: FormDefinition): v.GenericSchema<unknown, Answers> {
  const entries: Record<string, v.GenericSchema<unknown, unknown>> = {};
  for (const q of def.questions) entries[q.id] = v.optional(questionSchema(q));
  return v.pipe(
    // Not v.record: it silently drops "__proto__", "constructor" and "prototype" keys, and takes
    // arrays; unknown keys must be refused, never ignored (DESIGN §6).
    v.custom<Record<string, unknown>>(
      (x) => typeof x === "object" && x !== null && !Array.isArray(x),
      "answers_object",
    ),
    v.transform(dropBlank),
    v.transform((answers) => dropHidden(def, answers)),
    v.strictObject(entries, "unknown_field"),
    v.rawCheck(({ dataset, addIssue }) => {
      // Runs even when another answer is invalid, so that one response names every missing answer
      // (a citizen without JavaScript should not have to submit twice to learn about the second).
      if (typeof dataset.value !== "object" || dataset.value === null) return;
      const answers = dataset.value as Record<string, unknown>;
      for (const q of def.questions) {
        if (!q.required || answers[q.id] !== undefined || !isShown(q, answers)) continue;
        addIssue({
          message: q.type === "consent" ? "consent_required" : "required",
          path: [{ type: "object", origin: "value", input: answers, key: q.id, value: undefined }],
        });
      }
    }),
    v.transform((answers) => {
      const out: Answers = {};
      for (const q of def.questions) {
        const val = (answers as Record<string, unknown>)[q.id];
        if (val !== undefined && isShown(q, answers as Record<string, unknown>))
          out[q.id] = val as Answers[string];
      }
      return out;
    }),
  ) as v.GenericSchema<unknown, Answers>;
}

export interface AnswerIssue {
  path: string;
  message: string;
  messageEn: string;
}

/** Runs a compiled schema and reports issues with bilingual messages and `answers.<id>` paths. */
export function validateAnswers(
  schema: v.GenericSchema<unknown, Answers>,
  input: unknown,
): { success: true; answers: Answers } | { success: false; issues: AnswerIssue[] } {
  const result = v.safeParse(schema, input);
  if (result.success) return { success: true, answers: result.output };
  const issues = result.issues.map((issue) => {
    const dot = v.getDotPath(issue);
    const [message, messageEn] = translate(issue.message);
    return { path: dot ? `answers.${dot}` : "answers", message, messageEn };
  });
  return { success: false, issues };
}

/**
 * Reads answers from a plain HTML form post (the no-JavaScript widget). Field names are question ids;
 * `multiple` answers repeat their name; a ticked consent box sends "on"; ratings arrive as digits.
 * Names starting with "_" and the bot-check fields are the widget's own and are not answers.
 */
export function answersFromForm(def: FormDefinition, form: FormData): Record<string, unknown> {
  const byId = new Map(def.questions.map((q) => [q.id, q]));
  const out: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    if (name.startsWith("_") || name === "altcha" || name === "cf-turnstile-response") continue;
    const q = byId.get(name);
    const values = form.getAll(name).map((x) => (typeof x === "string" ? x : ""));
    if (!q) {
      out[name] = values.length === 1 ? values[0] : values;
      continue;
    }
    if (q.type === "multiple") out[name] = values.filter((x) => x !== "");
    else if (q.type === "consent") out[name] = values.some((x) => x === "on" || x === "true" || x === "1");
    else if (q.type === "rating") {
      const raw = values[0] ?? "";
      out[name] = /^\d{1,2}$/.test(raw) ? Number(raw) : raw;
    } else out[name] = values.length === 1 ? values[0] : values;
  }
  return out;
}
