/**
 * The form language: one typed JSON definition drives the server's validation (compile.ts) and the
 * widget (render.tsx), so the two never disagree.
 *
 * @example
 * const def = parseFormDefinition(json); // throws FormDefinitionError with every problem listed
 */
import * as v from "valibot";

export const LANGS = ["zh-CN", "en"] as const;
export type Lang = (typeof LANGS)[number];

/** A text in both languages the product speaks. */
export type Localized = { "zh-CN": string; en: string };

export const QUESTION_TYPES = [
  "text",
  "textarea",
  "single",
  "multiple",
  "rating",
  "phone",
  "email",
  "consent",
  // Extension: a mainland mobile number or an e-mail address in one field.
  "contact",
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const FORM_KINDS = ["opinion", "survey", "disclosure"] as const;
export type FormKind = (typeof FORM_KINDS)[number];

/** Show a question only when an earlier question's answer equals one of these values. */
export interface ShowIf {
  question: string;
  equals?: string | boolean;
  in?: string[];
}

export interface Option {
  value: string;
  label: Localized;
}

export interface Question {
  id: string;
  type: QuestionType;
  required: boolean;
  label: Localized;
  help?: Localized;
  options?: Option[];
  maxLength?: number;
  /** For `rating`: the scale's top (default 5); the lowest value is 1. */
  scale?: number;
  showIf?: ShowIf;
  /** Personal data (PIPL): encrypted at rest, masked in lists, never on public pages. */
  personal?: boolean;
  /** Built-in meaning of the answer for the case spine: the case's category, subject or body. */
  role?: "category" | "subject" | "body" | "name" | "contact" | "consentPublish";
}

export interface FormDefinition {
  id: string;
  dept: string;
  slug: string;
  kind: FormKind;
  version: number;
  title: Localized;
  description?: Localized;
  /** Privacy notice shown above the submit button (个人信息保护告知). */
  privacyNotice?: Localized;
  questions: Question[];
}

const ID = /^[a-z][a-zA-Z0-9_]{0,39}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;

const LocalizedSchema = v.strictObject({
  "zh-CN": v.pipe(v.string(), v.minLength(1), v.maxLength(2000)),
  en: v.pipe(v.string(), v.minLength(1), v.maxLength(2000)),
});

const QuestionSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(ID, "question ids are letters, digits and _ and start with a letter")),
  type: v.picklist(QUESTION_TYPES),
  required: v.boolean(),
  label: LocalizedSchema,
  help: v.optional(LocalizedSchema),
  options: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          value: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
          label: LocalizedSchema,
        }),
      ),
      v.minLength(1),
      v.maxLength(50),
    ),
  ),
  maxLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20000))),
  scale: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(10))),
  showIf: v.optional(
    v.strictObject({
      question: v.string(),
      equals: v.optional(v.union([v.string(), v.boolean()])),
      in: v.optional(v.array(v.string())),
    }),
  ),
  personal: v.optional(v.boolean()),
  role: v.optional(v.picklist(["category", "subject", "body", "name", "contact", "consentPublish"])),
});

const FormDefinitionSchema = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
  dept: v.pipe(v.string(), v.regex(SLUG)),
  slug: v.pipe(v.string(), v.regex(SLUG)),
  kind: v.picklist(FORM_KINDS),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  title: LocalizedSchema,
  description: v.optional(LocalizedSchema),
  privacyNotice: v.optional(LocalizedSchema),
  questions: v.pipe(v.array(QuestionSchema), v.minLength(1), v.maxLength(200)),
});

/** A definition that cannot be used, with every problem found. */
export class FormDefinitionError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid form definition: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/**
 * Checks a definition's shape and its cross-references (unique ids, options where they are needed,
 * `showIf` pointing at an earlier question) and returns it typed.
 */
export function parseFormDefinition(input: unknown): FormDefinition {
  const parsed = v.safeParse(FormDefinitionSchema, input);
  if (!parsed.success) {
    throw new FormDefinitionError(parsed.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`));
  }
  const def = parsed.output as FormDefinition;
  const problems: string[] = [];
  const seen = new Map<string, Question>();
  const roles = new Set<string>();
  def.questions.forEach((q, i) => {
    const at = `questions.${i}`;
    if (seen.has(q.id)) problems.push(`${at}.id: duplicate question id "${q.id}"`);
    // Answers live in plain objects: an id found on every object ("toString", "constructor") reads the
    // prototype's member when unanswered, so a required question of that id would pass unanswered.
    if (q.id in Object.prototype || q.id === "prototype") problems.push(`${at}.id: "${q.id}" is reserved`);
    const needsOptions = q.type === "single" || q.type === "multiple";
    if (needsOptions && !q.options) problems.push(`${at}.options: a ${q.type} question needs options`);
    if (!needsOptions && q.options)
      problems.push(`${at}.options: only single and multiple questions take options`);
    if (q.options) {
      const values = q.options.map((o) => o.value);
      if (new Set(values).size !== values.length)
        problems.push(`${at}.options: option values must be unique`);
    }
    if (q.maxLength !== undefined && !["text", "textarea"].includes(q.type)) {
      problems.push(`${at}.maxLength: only text and textarea questions take maxLength`);
    }
    if (q.scale !== undefined && q.type !== "rating")
      problems.push(`${at}.scale: only rating questions take a scale`);
    if (q.showIf) {
      const target = seen.get(q.showIf.question);
      if (!target) {
        problems.push(`${at}.showIf.question: "${q.showIf.question}" is not an earlier question`);
      } else if (q.showIf.equals === undefined && q.showIf.in === undefined) {
        problems.push(`${at}.showIf: give "equals" or "in"`);
      } else if (target.options) {
        // A choice answer is a string, so `equals: true` could never hold either.
        const allowed = new Set(target.options.map((o) => o.value));
        const wanted: unknown[] = q.showIf.in ?? [q.showIf.equals];
        for (const w of wanted) {
          if (typeof w !== "string" || !allowed.has(w))
            problems.push(`${at}.showIf: ${JSON.stringify(w)} is not an option of "${target.id}"`);
        }
      } else if (target.type === "consent" && (q.showIf.in || typeof q.showIf.equals !== "boolean")) {
        problems.push(`${at}.showIf: "${target.id}" is answered true or false; give "equals": true or false`);
      }
    }
    if (q.role) {
      if (roles.has(q.role)) problems.push(`${at}.role: only one question may have role "${q.role}"`);
      roles.add(q.role);
    }
    seen.set(q.id, q);
  });
  if (problems.length) throw new FormDefinitionError(problems);
  return def;
}

/** Picks the text for a language. */
export function t(text: Localized, lang: Lang): string {
  return text[lang];
}

/** True when a question is shown for these answers (no `showIf`, or its condition holds). */
export function isShown(q: Question, answers: Record<string, unknown>): boolean {
  if (!q.showIf) return true;
  const value = answers[q.showIf.question];
  if (q.showIf.in) {
    if (Array.isArray(value)) return value.some((x) => q.showIf!.in!.includes(String(x)));
    return typeof value === "string" && q.showIf.in.includes(value);
  }
  if (Array.isArray(value)) return value.includes(q.showIf.equals);
  return value === q.showIf.equals;
}
