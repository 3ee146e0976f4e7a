import { describe, expect, it } from "vitest";
import { opinionBox } from "./builtin/opinion.ts";
import { disclosurePlaceholder, satisfactionPlaceholder } from "./builtin/placeholders.ts";
import {
  type FormDefinition,
  FormDefinitionError,
  isShown,
  parseFormDefinition,
  type Question,
} from "./language.ts";

const label = (zh: string, en = zh) => ({ "zh-CN": zh, en });
const opts = (...values: string[]) => values.map((value) => ({ value, label: label(value) }));

/** A small valid definition; each refusal case below changes one thing in a fresh copy. */
function base(): Record<string, unknown> & { questions: Record<string, unknown>[] } {
  return {
    id: "demo/test",
    dept: "demo",
    slug: "test",
    kind: "opinion",
    version: 1,
    title: label("测试", "Test"),
    questions: [
      { id: "kind", type: "single", required: true, label: label("类型"), options: opts("a", "b") },
      { id: "detail", type: "text", required: false, label: label("细节") },
      { id: "tags", type: "multiple", required: false, label: label("标签"), options: opts("x", "y") },
      { id: "agree", type: "consent", required: false, label: label("同意") },
    ],
  };
}

/** Runs `parseFormDefinition` and returns the problems it lists (fails the test if it accepts). */
function problemsOf(input: unknown): string[] {
  try {
    parseFormDefinition(input);
  } catch (e) {
    expect(e).toBeInstanceOf(FormDefinitionError);
    const err = e as FormDefinitionError;
    expect(err.message).toContain("invalid form definition");
    for (const p of err.problems) expect(err.message).toContain(p);
    return err.problems;
  }
  throw new Error("the definition was accepted");
}

describe("parseFormDefinition accepts", () => {
  const builtins: [string, FormDefinition][] = [
    ["the opinion box", opinionBox("demo")],
    ["the opinion box under another slug", opinionBox("city-gov", "xinxiang-2")],
    ["the satisfaction placeholder", satisfactionPlaceholder("demo")],
    ["the disclosure placeholder", disclosurePlaceholder("demo")],
  ];

  it.each(builtins)("%s, unchanged, as JSON", (_, def) => {
    const json = JSON.parse(JSON.stringify(def)) as unknown;
    expect(parseFormDefinition(json)).toEqual(def);
  });

  it("the small base definition used by the refusal cases", () => {
    expect(parseFormDefinition(base()).questions.map((q) => q.id)).toEqual([
      "kind",
      "detail",
      "tags",
      "agree",
    ]);
  });

  it("showIf on an earlier option, by equals and by in, and on a consent by a boolean", () => {
    const def = base();
    def.questions.push(
      {
        id: "why",
        type: "text",
        required: true,
        label: label("原因"),
        showIf: { question: "kind", equals: "b" },
      },
      {
        id: "more",
        type: "textarea",
        required: false,
        label: label("更多"),
        showIf: { question: "tags", in: ["x"] },
      },
      {
        id: "mail",
        type: "email",
        required: false,
        label: label("邮箱"),
        showIf: { question: "agree", equals: true },
      },
    );
    expect(parseFormDefinition(def).questions).toHaveLength(7);
  });

  it("every question type, with maxLength on text and textarea and a scale on rating", () => {
    const def = base();
    def.questions.push(
      { id: "t2", type: "textarea", required: false, maxLength: 20000, label: label("长文") },
      { id: "r", type: "rating", required: false, scale: 10, label: label("评分") },
      { id: "p", type: "phone", required: false, label: label("电话") },
      { id: "e", type: "email", required: false, label: label("邮箱") },
      { id: "c", type: "contact", required: false, label: label("联系") },
    );
    expect(parseFormDefinition(def).questions).toHaveLength(9);
  });
});

describe("parseFormDefinition refuses", () => {
  type Case = [what: string, change: (d: ReturnType<typeof base>) => unknown, path: string, says: RegExp];
  const q = (d: ReturnType<typeof base>, i: number) => d.questions[i]!;
  const cases: Case[] = [
    ["a non-object", () => "form", "(root)", /object/i],
    ["null", () => null, "(root)", /object/i],
    [
      "duplicate question ids",
      (d) => {
        q(d, 1).id = "kind";
        return d;
      },
      "questions.1.id",
      /duplicate question id "kind"/,
    ],
    [
      "a single question without options",
      (d) => {
        delete q(d, 0).options;
        return d;
      },
      "questions.0.options",
      /single question needs options/,
    ],
    [
      "a multiple question without options",
      (d) => {
        delete q(d, 2).options;
        return d;
      },
      "questions.2.options",
      /multiple question needs options/,
    ],
    [
      "an empty options list",
      (d) => {
        q(d, 0).options = [];
        return d;
      },
      "questions.0.options",
      /1/,
    ],
    [
      "options on a text question",
      (d) => {
        q(d, 1).options = opts("a");
        return d;
      },
      "questions.1.options",
      /only single and multiple/,
    ],
    [
      "options on a consent question",
      (d) => {
        q(d, 3).options = opts("yes");
        return d;
      },
      "questions.3.options",
      /only single and multiple/,
    ],
    [
      "duplicate option values",
      (d) => {
        q(d, 0).options = opts("a", "b", "a");
        return d;
      },
      "questions.0.options",
      /unique/,
    ],
    [
      "an empty option value",
      (d) => {
        q(d, 0).options = opts("");
        return d;
      },
      "questions.0.options.0.value",
      /1/,
    ],
    [
      "showIf pointing at a later question",
      (d) => {
        q(d, 1).showIf = { question: "tags", in: ["x"] };
        return d;
      },
      "questions.1.showIf.question",
      /"tags" is not an earlier question/,
    ],
    [
      "showIf pointing at itself",
      (d) => {
        q(d, 1).showIf = { question: "detail", equals: "x" };
        return d;
      },
      "questions.1.showIf.question",
      /"detail" is not an earlier question/,
    ],
    [
      "showIf pointing at an unknown question",
      (d) => {
        q(d, 1).showIf = { question: "nope", equals: "a" };
        return d;
      },
      "questions.1.showIf.question",
      /"nope" is not an earlier question/,
    ],
    [
      "showIf equals a value that is not an option",
      (d) => {
        q(d, 1).showIf = { question: "kind", equals: "c" };
        return d;
      },
      "questions.1.showIf",
      /"c" is not an option of "kind"/,
    ],
    [
      "showIf in with a value that is not an option",
      (d) => {
        q(d, 3).showIf = { question: "tags", in: ["x", "z"] };
        return d;
      },
      "questions.3.showIf",
      /"z" is not an option of "tags"/,
    ],
    [
      // The answer to a choice question is a string; `true` can never equal it, so the question
      // would never be shown (and, if required, never asked).
      "showIf equals a boolean on a choice question",
      (d) => {
        q(d, 1).showIf = { question: "kind", equals: true };
        return d;
      },
      "questions.1.showIf",
      /true.*is not an option of "kind"/,
    ],
    [
      // A consent answer is true or false; a string can never equal it.
      "showIf equals a string on a consent question",
      (d) => {
        d.questions.push({ id: "z", type: "text", required: false, label: label("z") });
        q(d, 4).showIf = { question: "agree", equals: "on" };
        return d;
      },
      "questions.4.showIf",
      /"agree".*true or false/,
    ],
    [
      "showIf in on a consent question",
      (d) => {
        d.questions.push({ id: "z", type: "text", required: false, label: label("z") });
        q(d, 4).showIf = { question: "agree", equals: true, in: ["true"] };
        return d;
      },
      "questions.4.showIf",
      /"agree".*true or false/,
    ],
    [
      "showIf without equals or in",
      (d) => {
        q(d, 1).showIf = { question: "kind" };
        return d;
      },
      "questions.1.showIf",
      /give "equals" or "in"/,
    ],
    [
      "an unknown key in showIf",
      (d) => {
        q(d, 1).showIf = { question: "kind", equals: "a", not: "b" };
        return d;
      },
      "questions.1.showIf.not",
      /key/i,
    ],
    [
      "maxLength on a single question",
      (d) => {
        q(d, 0).maxLength = 10;
        return d;
      },
      "questions.0.maxLength",
      /only text and textarea/,
    ],
    [
      "maxLength on a consent question",
      (d) => {
        q(d, 3).maxLength = 10;
        return d;
      },
      "questions.3.maxLength",
      /only text and textarea/,
    ],
    [
      "maxLength 0",
      (d) => {
        q(d, 1).maxLength = 0;
        return d;
      },
      "questions.1.maxLength",
      /1/,
    ],
    [
      "maxLength above 20000",
      (d) => {
        q(d, 1).maxLength = 20001;
        return d;
      },
      "questions.1.maxLength",
      /20000/,
    ],
    [
      "a fractional maxLength",
      (d) => {
        q(d, 1).maxLength = 10.5;
        return d;
      },
      "questions.1.maxLength",
      /integer/i,
    ],
    [
      "a scale on a text question",
      (d) => {
        q(d, 1).scale = 5;
        return d;
      },
      "questions.1.scale",
      /only rating/,
    ],
    [
      "a rating scale of 1",
      (d) => {
        d.questions.push({ id: "r", type: "rating", required: false, scale: 1, label: label("r") });
        return d;
      },
      "questions.4.scale",
      /2/,
    ],
    [
      "a rating scale of 11",
      (d) => {
        d.questions.push({ id: "r", type: "rating", required: false, scale: 11, label: label("r") });
        return d;
      },
      "questions.4.scale",
      /10/,
    ],
    [
      "a question id starting with a digit",
      (d) => {
        q(d, 1).id = "1detail";
        return d;
      },
      "questions.1.id",
      /start with a letter/,
    ],
    [
      "a question id with a dash",
      (d) => {
        q(d, 1).id = "page-url";
        return d;
      },
      "questions.1.id",
      /letters, digits and _/,
    ],
    [
      "a question id starting with a capital",
      (d) => {
        q(d, 1).id = "Detail";
        return d;
      },
      "questions.1.id",
      /start with a letter/,
    ],
    [
      "a question id of 41 characters",
      (d) => {
        q(d, 1).id = `a${"b".repeat(40)}`;
        return d;
      },
      "questions.1.id",
      /letters, digits and _/,
    ],
    [
      // Answers are plain objects: an id like "constructor" or "toString" is found on every object's
      // prototype, so an unanswered question would read a function, and valibot drops "constructor".
      "a question id that is an Object.prototype member",
      (d) => {
        q(d, 1).id = "toString";
        return d;
      },
      "questions.1.id",
      /reserved/,
    ],
    [
      "the question id constructor",
      (d) => {
        q(d, 1).id = "constructor";
        return d;
      },
      "questions.1.id",
      /reserved/,
    ],
    [
      "a slug with capitals",
      (d) => {
        d.slug = "Opinion";
        return d;
      },
      "slug",
      /invalid format/i,
    ],
    [
      "a slug starting with a dash",
      (d) => {
        d.slug = "-opinion";
        return d;
      },
      "slug",
      /invalid format/i,
    ],
    [
      "a slug with an underscore",
      (d) => {
        d.slug = "my_form";
        return d;
      },
      "slug",
      /invalid format/i,
    ],
    [
      "a slug with a slash",
      (d) => {
        d.slug = "a/b";
        return d;
      },
      "slug",
      /invalid format/i,
    ],
    [
      "a dept slug with Chinese",
      (d) => {
        d.dept = "教育局";
        return d;
      },
      "dept",
      /invalid format/i,
    ],
    [
      "an empty form id",
      (d) => {
        d.id = "";
        return d;
      },
      "id",
      /1/,
    ],
    [
      "an unknown top-level key",
      (d) => {
        d.colour = "red";
        return d;
      },
      "colour",
      /key/i,
    ],
    [
      "an unknown question key",
      (d) => {
        q(d, 1).placeholder = "…";
        return d;
      },
      "questions.1.placeholder",
      /key/i,
    ],
    [
      "an unknown key in a label",
      (d) => {
        d.title = { ...label("测试"), fr: "Test" };
        return d;
      },
      "title.fr",
      /key/i,
    ],
    [
      "a label without English",
      (d) => {
        q(d, 1).label = { "zh-CN": "细节" };
        return d;
      },
      "questions.1.label.en",
      /"en"/,
    ],
    [
      "an empty Chinese title",
      (d) => {
        d.title = label("", "Test");
        return d;
      },
      "title.zh-CN",
      /1/,
    ],
    [
      "a wrong form kind",
      (d) => {
        d.kind = "petition";
        return d;
      },
      "kind",
      /"petition"/,
    ],
    [
      "a wrong question type",
      (d) => {
        q(d, 1).type = "date";
        return d;
      },
      "questions.1.type",
      /"date"/,
    ],
    [
      "required given as a string",
      (d) => {
        q(d, 1).required = "yes";
        return d;
      },
      "questions.1.required",
      /boolean/i,
    ],
    [
      "version 0",
      (d) => {
        d.version = 0;
        return d;
      },
      "version",
      /1/,
    ],
    [
      "a fractional version",
      (d) => {
        d.version = 1.5;
        return d;
      },
      "version",
      /integer/i,
    ],
    [
      "empty questions",
      (d) => {
        d.questions = [];
        return d;
      },
      "questions",
      /1/,
    ],
    [
      "missing questions",
      (d) => {
        delete (d as Record<string, unknown>).questions;
        return d;
      },
      "questions",
      /"questions"/,
    ],
    [
      "two questions with the same role",
      (d) => {
        q(d, 1).role = "subject";
        d.questions.push({ id: "title2", type: "text", required: true, role: "subject", label: label("t") });
        return d;
      },
      "questions.4.role",
      /only one question may have role "subject"/,
    ],
    [
      "an unknown role",
      (d) => {
        q(d, 1).role = "email";
        return d;
      },
      "questions.1.role",
      /"email"/,
    ],
  ];

  it.each(cases)("%s, naming the path", (_, change, path, says) => {
    const problems = problemsOf(change(base()));
    const at = problems.filter((p) => p.startsWith(`${path}: `));
    expect(at, `problems: ${problems.join(" | ")}`).not.toHaveLength(0);
    expect(
      at.some((p) => says.test(p)),
      `problems: ${problems.join(" | ")}`,
    ).toBe(true);
  });

  it("lists every cross-reference problem at once, in question order", () => {
    const d = base();
    d.questions[1]!.id = "kind";
    d.questions[2]!.maxLength = 5;
    d.questions[3]!.showIf = { question: "later", equals: "x" };
    expect(problemsOf(d)).toEqual([
      'questions.1.id: duplicate question id "kind"',
      "questions.2.maxLength: only text and textarea questions take maxLength",
      'questions.3.showIf.question: "later" is not an earlier question',
    ]);
  });

  it("lists every shape problem at once", () => {
    const d = base();
    d.slug = "Bad Slug";
    d.kind = "petition";
    d.questions[1]!.type = "date";
    const paths = problemsOf(d).map((p) => p.slice(0, p.indexOf(":")));
    expect(paths).toEqual(expect.arrayContaining(["slug", "kind", "questions.1.type"]));
  });
});

describe("isShown", () => {
  const byEquals: Question = {
    id: "why",
    type: "text",
    required: true,
    label: label("原因"),
    showIf: { question: "kind", equals: "b" },
  };
  const byIn: Question = { ...byEquals, showIf: { question: "tags", in: ["x", "y"] } };
  const byConsent: Question = { ...byEquals, showIf: { question: "agree", equals: true } };
  const cases: [what: string, question: Question, answers: Record<string, unknown>, shown: boolean][] = [
    ["no condition", { ...byEquals, showIf: undefined }, {}, true],
    ["equals, met", byEquals, { kind: "b" }, true],
    ["equals, not met", byEquals, { kind: "a" }, false],
    ["equals, unanswered", byEquals, {}, false],
    ["in, met by one of several choices", byIn, { tags: ["z", "y"] }, true],
    ["in, not met", byIn, { tags: ["z"] }, false],
    ["in, met by a single answer", byIn, { tags: "x" }, true],
    ["in, unanswered", byIn, {}, false],
    ["a consent, ticked", byConsent, { agree: true }, true],
    ["a consent, not ticked", byConsent, { agree: false }, false],
    ["a consent, as the string true", byConsent, { agree: "true" }, false],
  ];

  it.each(cases)("%s", (_, question, answers, shown) => {
    expect(isShown(question, answers)).toBe(shown);
  });
});
