import { describe, expect, it } from "vitest";
import { opinionBox } from "./builtin/opinion.ts";
import {
  type AnswerIssue,
  answersFromForm,
  compileForm,
  normalizePhone,
  validateAnswers,
} from "./compile.ts";
import { type FormDefinition, parseFormDefinition } from "./language.ts";
import { type MessageCode, translate } from "./messages.ts";

const label = (zh: string, en = zh) => ({ "zh-CN": zh, en });
const opts = (...values: string[]) => values.map((value) => ({ value, label: label(value) }));

/** One question of every type, two of them shown only under a condition, one chained. */
const ALL: FormDefinition = parseFormDefinition({
  id: "demo/all",
  dept: "demo",
  slug: "all",
  kind: "survey",
  version: 1,
  title: label("全部题型", "Every type"),
  questions: [
    { id: "topic", type: "single", required: true, label: label("主题"), options: opts("a", "b", "other") },
    {
      id: "otherText",
      type: "text",
      required: true,
      maxLength: 5,
      label: label("其他"),
      showIf: { question: "topic", equals: "other" },
    },
    {
      id: "chained",
      type: "text",
      required: true,
      label: label("追问"),
      showIf: { question: "otherText", equals: "yes" },
    },
    { id: "title", type: "text", required: false, label: label("标题") },
    { id: "note", type: "textarea", required: false, label: label("备注") },
    { id: "tags", type: "multiple", required: false, label: label("标签"), options: opts("x", "y", "z") },
    {
      id: "tagNote",
      type: "text",
      required: false,
      label: label("标签说明"),
      showIf: { question: "tags", in: ["z"] },
    },
    { id: "score", type: "rating", required: true, scale: 7, label: label("评分") },
    { id: "stars", type: "rating", required: false, label: label("星级") },
    { id: "mobile", type: "phone", required: false, label: label("手机") },
    { id: "mail", type: "email", required: false, label: label("邮箱") },
    { id: "reach", type: "contact", required: false, label: label("联系方式") },
    { id: "terms", type: "consent", required: true, label: label("同意条款") },
    { id: "news", type: "consent", required: false, label: label("订阅") },
  ],
});
const all = compileForm(ALL);
/** The least a valid submission to ALL has. */
const BASE = { topic: "a", score: 4, terms: true } as const;

const OPINION = opinionBox("demo");
const opinion = compileForm(OPINION);
const OPINION_BASE = {
  kind: "suggest",
  subject: "路灯不亮",
  body: "人民路 12 号门前的路灯坏了一周。",
} as const;

/** The issue `validateAnswers` should report for a message code at a path. */
const issue = (path: string, code: MessageCode | `${MessageCode}:${string}`): AnswerIssue => {
  const [message, messageEn] = translate(code);
  return { path, message, messageEn };
};

function issuesOf(schema: typeof all, input: unknown): AnswerIssue[] {
  const result = validateAnswers(schema, input);
  if (result.success) throw new Error(`accepted: ${JSON.stringify(result.answers)}`);
  return result.issues;
}

describe("validateAnswers accepts and normalises", () => {
  const cases: [what: string, input: Record<string, unknown>, output: Record<string, unknown>][] = [
    ["the minimum", {}, {}],
    ["text, trimmed", { title: "  你好  " }, { title: "你好" }],
    [
      "200 Chinese characters in a text (default limit)",
      { title: "字".repeat(200) },
      { title: "字".repeat(200) },
    ],
    ["5000 characters in a textarea (default limit)", { note: "a".repeat(5000) }, { note: "a".repeat(5000) }],
    [
      "tab, line feed and carriage return in a textarea",
      { note: "第一行\r\n第二行\t结尾" },
      { note: "第一行\r\n第二行\t结尾" },
    ],
    // maxLength 5 counts code points: each emoji is two UTF-16 units but one character.
    [
      "five emoji under maxLength 5",
      { topic: "other", otherText: "😀😀😀😀😀" },
      { topic: "other", otherText: "😀😀😀😀😀" },
    ],
    [
      "five Chinese characters under maxLength 5",
      { topic: "other", otherText: "一二三四五" },
      { topic: "other", otherText: "一二三四五" },
    ],
    ["an emoji pair in text", { title: "点赞👍" }, { title: "点赞👍" }],
    ["the other single option", { topic: "b" }, { topic: "b" }],
    ["several choices, in the order given", { tags: ["y", "x"] }, { tags: ["y", "x"] }],
    ["the lowest rating", { score: 1 }, { score: 1 }],
    ["the top of a 7-point scale", { score: 7 }, { score: 7 }],
    ["the top of the default 5-point scale", { stars: 5 }, { stars: 5 }],
    ["a phone with +86 and spaces", { mobile: "+86 138 0013 8000" }, { mobile: "13800138000" }],
    ["a phone with dashes", { mobile: "138-0013-8000" }, { mobile: "13800138000" }],
    ["a phone with 86 and no plus", { mobile: "8613800138000" }, { mobile: "13800138000" }],
    ["a phone with +86- and dashes", { mobile: "+86-138-0013-8000" }, { mobile: "13800138000" }],
    ["a phone with spaces around", { mobile: " 19912345678 " }, { mobile: "19912345678" }],
    ["an e-mail, trimmed", { mail: " Zhang.San@Example.gov.cn " }, { mail: "Zhang.San@Example.gov.cn" }],
    ["a contact as a phone, normalised", { reach: "+86 138 0013 8000" }, { reach: "13800138000" }],
    ["a contact as a phone with dashes", { reach: "138-0013-8000" }, { reach: "13800138000" }],
    ["a contact as an e-mail, trimmed", { reach: " li@example.org " }, { reach: "li@example.org" }],
    ["an optional consent left unticked", { news: false }, { news: false }],
    ["an optional consent ticked", { news: true }, { news: true }],
    // Blank means not given.
    ["an empty optional text", { title: "" }, {}],
    ["a whitespace-only optional text", { title: "  \n " }, {}],
    ["null for an optional answer", { title: null, mobile: null }, {}],
    ["an empty list of choices", { tags: [] }, {}],
    ["a blank phone", { mobile: "" }, {}],
    ["a blank unknown key", { nothing: "" }, {}],
    // Hidden questions (showIf) are dropped, never validated.
    ["an answer to a hidden question", { topic: "a", otherText: "xyz" }, { topic: "a" }],
    ["a too-long answer to a hidden question", { topic: "b", otherText: "一二三四五六" }, { topic: "b" }],
    ["a wrongly typed answer to a hidden question", { topic: "b", otherText: 42 }, { topic: "b" }],
    // otherText is hidden, so chained (shown when otherText is "yes") is hidden too, as in the widget.
    ["a required question under a hidden one", { topic: "a", otherText: "yes" }, { topic: "a" }],
    [
      "the chain shown and answered",
      { topic: "other", otherText: "yes", chained: "好" },
      { topic: "other", otherText: "yes", chained: "好" },
    ],
    [
      "the chain's condition not met",
      { topic: "other", otherText: "no" },
      { topic: "other", otherText: "no" },
    ],
    [
      "the chain's condition compared after trimming",
      { topic: "other", otherText: " yes ", chained: "好" },
      { topic: "other", otherText: "yes", chained: "好" },
    ],
    ["a showIf in, met", { tags: ["x", "z"], tagNote: "说明" }, { tags: ["x", "z"], tagNote: "说明" }],
    ["a showIf in, not met", { tags: ["x"], tagNote: "说明" }, { tags: ["x"] }],
    ["a showIf in, its question unanswered", { tagNote: "说明" }, {}],
  ];

  it.each(cases)("%s", (_, input, output) => {
    expect(validateAnswers(all, { ...BASE, ...input })).toEqual({
      success: true,
      answers: { ...BASE, ...output },
    });
  });
});

describe("validateAnswers refuses, with the path and a message in both languages", () => {
  type Code = MessageCode | `${MessageCode}:${string}`;
  const cases: [what: string, input: Record<string, unknown>, expected: [path: string, code: Code][]][] = [
    [
      "nothing at all",
      { topic: undefined, score: undefined, terms: undefined },
      [
        ["answers.topic", "required"],
        ["answers.score", "required"],
        ["answers.terms", "consent_required"],
      ],
    ],
    ["a blank required choice", { topic: "  " }, [["answers.topic", "required"]]],
    ["a null required rating", { score: null }, [["answers.score", "required"]]],
    ["a value that is not an option", { topic: "c" }, [["answers.topic", "not_option"]]],
    ["an option's label instead of its value", { topic: "其他" }, [["answers.topic", "not_option"]]],
    ["a number for a single choice", { topic: 1 }, [["answers.topic", "type_choice"]]],
    ["a list for a single choice", { topic: ["a"] }, [["answers.topic", "type_choice"]]],
    ["a shown required question left out", { topic: "other" }, [["answers.otherText", "required"]]],
    [
      "a shown required question left blank",
      { topic: "other", otherText: " " },
      [["answers.otherText", "required"]],
    ],
    [
      "a required question at the end of a shown chain",
      { topic: "other", otherText: "yes" },
      [["answers.chained", "required"]],
    ],
    [
      "six Chinese characters under maxLength 5",
      { topic: "other", otherText: "一二三四五六" },
      [["answers.otherText", "too_long:5"]],
    ],
    [
      "six emoji under maxLength 5",
      { topic: "other", otherText: "😀😀😀😀😀😀" },
      [["answers.otherText", "too_long:5"]],
    ],
    ["201 characters in a text", { title: "字".repeat(201) }, [["answers.title", "too_long:200"]]],
    ["5001 characters in a textarea", { note: "a".repeat(5001) }, [["answers.note", "too_long:5000"]]],
    ["a number for a text", { title: 5 }, [["answers.title", "type_text"]]],
    ["NUL in a text", { title: "a\u0000b" }, [["answers.title", "control_chars"]]],
    ["BEL in a text", { title: "a\u0007b" }, [["answers.title", "control_chars"]]],
    ["ESC in a textarea", { note: "a\u001b[31mred" }, [["answers.note", "control_chars"]]],
    ["a vertical tab inside a text", { title: "a\u000bb" }, [["answers.title", "control_chars"]]],
    ["DEL in a text", { title: "a\u007fb" }, [["answers.title", "control_chars"]]],
    ["a C1 control (NEL) in a text", { title: "a\u0085b" }, [["answers.title", "control_chars"]]],
    ["a C1 control (APC) in a text", { title: "a\u009fb" }, [["answers.title", "control_chars"]]],
    ["a lone high surrogate", { title: "a\ud800b" }, [["answers.title", "control_chars"]]],
    ["a lone high surrogate at the end", { title: "ab\ud83d" }, [["answers.title", "control_chars"]]],
    ["a lone low surrogate", { title: "a\udc00b" }, [["answers.title", "control_chars"]]],
    ["a surrogate pair in the wrong order", { title: "\ude00\ud83d" }, [["answers.title", "control_chars"]]],
    ["one choice as a string", { tags: "x" }, [["answers.tags", "type_choices"]]],
    ["the same choice twice", { tags: ["x", "x"] }, [["answers.tags", "duplicate_choice"]]],
    ["a choice that is not an option", { tags: ["x", "q"] }, [["answers.tags.1", "not_option"]]],
    ["a number among choices", { tags: [1] }, [["answers.tags.0", "type_choice"]]],
    ["a rating above a 7-point scale", { score: 8 }, [["answers.score", "rating_range:7"]]],
    ["a rating of 0", { score: 0 }, [["answers.score", "rating_range:7"]]],
    ["a fractional rating", { score: 3.5 }, [["answers.score", "rating_range:7"]]],
    ["a rating as a string", { score: "4" }, [["answers.score", "type_rating"]]],
    ["6 on the default 5-point scale", { stars: 6 }, [["answers.stars", "rating_range:5"]]],
    ["a mobile starting 12", { mobile: "12800138000" }, [["answers.mobile", "phone"]]],
    ["a 10-digit mobile", { mobile: "1380013800" }, [["answers.mobile", "phone"]]],
    ["a 12-digit mobile", { mobile: "138001380001" }, [["answers.mobile", "phone"]]],
    ["a foreign number", { mobile: "+1 415 555 0100" }, [["answers.mobile", "phone"]]],
    ["a landline as a mobile", { mobile: "010-12345678" }, [["answers.mobile", "phone"]]],
    ["a mobile as a number", { mobile: 13800138000 }, [["answers.mobile", "type_text"]]],
    ["an e-mail without @", { mail: "zhang.example.com" }, [["answers.mail", "email"]]],
    ["an e-mail without a domain", { mail: "zhang@" }, [["answers.mail", "email"]]],
    ["an e-mail of 255 characters", { mail: `${"a".repeat(243)}@example.com` }, [["answers.mail", "email"]]],
    ["a contact that is neither", { reach: "12345" }, [["answers.reach", "contact"]]],
    ["a contact with a broken e-mail", { reach: "li@" }, [["answers.reach", "contact"]]],
    ["a contact with a wrong mobile", { reach: "+86 128 0013 8000" }, [["answers.reach", "contact"]]],
    ["a required consent not ticked", { terms: false }, [["answers.terms", "consent_required"]]],
    ["a consent as the string on", { terms: "on" }, [["answers.terms", "type_boolean"]]],
    ["a consent as 1", { terms: 1 }, [["answers.terms", "type_boolean"]]],
    ["an optional consent as a string", { news: "yes" }, [["answers.news", "type_boolean"]]],
    ["an unknown key", { foo: "bar" }, [["answers.foo", "unknown_field"]]],
    [
      "an unknown key next to a hidden answer",
      { otherText: "x", foo: "bar" },
      [["answers.foo", "unknown_field"]],
    ],
  ];

  it.each(cases)("%s", (_, input, expected) => {
    const answers = Object.fromEntries(
      Object.entries({ ...BASE, ...input }).filter(([, value]) => value !== undefined),
    );
    expect(issuesOf(all, answers)).toEqual(expected.map(([path, code]) => issue(path, code)));
  });

  it.each(cases)("%s: every message is translated", (_, input) => {
    const answers = Object.fromEntries(
      Object.entries({ ...BASE, ...input }).filter(([, value]) => value !== undefined),
    );
    for (const i of issuesOf(all, answers)) {
      expect(i.message).not.toBe("输入有误");
      expect(i.message).toMatch(/[\u4e00-\u9fff]/);
      expect(i.messageEn).toMatch(/^[A-Z][\x20-\x7e]+$/);
      expect(i.messageEn).not.toMatch(/^Invalid /);
    }
  });

  it("words the parameterised messages with their number", () => {
    expect(issuesOf(all, { ...BASE, topic: "other", otherText: "一二三四五六" })).toEqual([
      { path: "answers.otherText", message: "不能超过 5 个字", messageEn: "Must be at most 5 characters" },
    ]);
    expect(issuesOf(all, { ...BASE, score: 8 })).toEqual([
      {
        path: "answers.score",
        message: "评分应为 1 到 7 的整数",
        messageEn: "Must be a whole number from 1 to 7",
      },
    ]);
  });

  it("refuses a __proto__ key as unknown instead of ignoring it", () => {
    const input = JSON.parse('{"topic":"a","score":4,"terms":true,"__proto__":{"title":"x"}}') as unknown;
    expect(issuesOf(all, input)).toEqual([issue("answers.__proto__", "unknown_field")]);
  });

  it.each([
    ["null", null],
    ["a string", "topic=a"],
    ["a number", 42],
    ["an array", [BASE]],
  ])("refuses answers that are %s", (_, input) => {
    expect(issuesOf(all, input)).toEqual([issue("answers", "answers_object")]);
  });
});

describe("the opinion box", () => {
  it("keeps the page address for a website error (纠错)", () => {
    const input = { ...OPINION_BASE, kind: "correction", pageUrl: "https://www.example.gov.cn/xxgk/1.html" };
    expect(validateAnswers(opinion, input)).toEqual({ success: true, answers: input });
  });

  it("drops the page address for any other kind, even one too long to accept", () => {
    for (const pageUrl of ["https://www.example.gov.cn/", `https://example.gov.cn/${"a".repeat(500)}`]) {
      expect(validateAnswers(opinion, { ...OPINION_BASE, pageUrl })).toEqual({
        success: true,
        answers: OPINION_BASE,
      });
    }
  });

  it("refuses a page address over 500 characters when it is shown", () => {
    const pageUrl = `https://example.gov.cn/${"a".repeat(478)}`; // 23 + 478 = 501
    expect(issuesOf(opinion, { ...OPINION_BASE, kind: "correction", pageUrl })).toEqual([
      issue("answers.pageUrl", "too_long:500"),
    ]);
  });

  it("takes a named message with a phone contact and consent to publish", () => {
    const input = { ...OPINION_BASE, name: " 张三 ", contact: "+86 138-0013-8000", publish: true };
    expect(validateAnswers(opinion, input)).toEqual({
      success: true,
      answers: { ...OPINION_BASE, name: "张三", contact: "13800138000", publish: true },
    });
  });

  it("takes an anonymous message", () => {
    expect(validateAnswers(opinion, { ...OPINION_BASE, name: "", contact: "" })).toEqual({
      success: true,
      answers: OPINION_BASE,
    });
  });

  it("lists subject and body when both are missing, in question order", () => {
    expect(issuesOf(opinion, { kind: "complain" })).toEqual([
      issue("answers.subject", "required"),
      issue("answers.body", "required"),
    ]);
  });

  it("refuses a kind given by its Chinese label", () => {
    expect(issuesOf(opinion, { ...OPINION_BASE, kind: "纠错" })).toEqual([
      issue("answers.kind", "not_option"),
    ]);
  });

  it("refuses a subject of 101 characters", () => {
    expect(issuesOf(opinion, { ...OPINION_BASE, subject: "标".repeat(101) })).toEqual([
      issue("answers.subject", "too_long:100"),
    ]);
  });
});

describe("normalizePhone", () => {
  it.each([
    ["13800138000", "13800138000"],
    ["+8613800138000", "13800138000"],
    ["+86 138 0013 8000", "13800138000"],
    ["86-138-0013-8000", "13800138000"],
    // Only a country code in front of an 11-digit mobile is removed.
    ["861380013800", "861380013800"],
    ["010-12345678", "01012345678"],
  ])("%s → %s", (input, out) => {
    expect(normalizePhone(input)).toBe(out);
  });
});

describe("answersFromForm", () => {
  const form = (pairs: [string, string | File][]) => {
    const fd = new FormData();
    for (const [k, v] of pairs) fd.append(k, v);
    return fd;
  };

  it("reads the opinion box's no-JavaScript post and ignores the widget's own fields", () => {
    const fd = form([
      ["kind", "correction"],
      ["pageUrl", "https://www.example.gov.cn/"],
      ["subject", "链接失效"],
      ["body", "首页的链接打不开。"],
      ["name", ""],
      ["publish", "on"],
      ["_csrf", "t0ken"],
      ["_lang", "en"],
      ["altcha", "payload"],
      ["cf-turnstile-response", "token"],
    ]);
    const answers = answersFromForm(OPINION, fd);
    expect(answers).toEqual({
      kind: "correction",
      pageUrl: "https://www.example.gov.cn/",
      subject: "链接失效",
      body: "首页的链接打不开。",
      name: "",
      publish: true,
    });
    expect(validateAnswers(opinion, answers)).toEqual({
      success: true,
      answers: {
        kind: "correction",
        pageUrl: "https://www.example.gov.cn/",
        subject: "链接失效",
        body: "首页的链接打不开。",
        publish: true,
      },
    });
  });

  it("collects repeated multiple answers, drops empty ones, and reads rating digits and ticked boxes", () => {
    const fd = form([
      ["topic", "a"],
      ["tags", "x"],
      ["tags", ""],
      ["tags", "z"],
      ["tagNote", "两个"],
      ["score", "6"],
      ["stars", "05"],
      ["terms", "on"],
    ]);
    const answers = answersFromForm(ALL, fd);
    expect(answers).toEqual({
      topic: "a",
      tags: ["x", "z"],
      tagNote: "两个",
      score: 6,
      stars: 5,
      terms: true,
    });
    expect(validateAnswers(all, answers)).toEqual({ success: true, answers });
  });

  it.each([
    ["on", true],
    ["true", true],
    ["1", true],
    ["off", false],
    ["", false],
  ])("reads a consent box sent as %j as %s", (sent, ticked) => {
    expect(answersFromForm(ALL, form([["news", sent]]))).toEqual({ news: ticked });
  });

  it("leaves an unticked consent out, so a required one is reported", () => {
    const answers = answersFromForm(
      ALL,
      form([
        ["topic", "a"],
        ["score", "3"],
      ]),
    );
    expect(answers).toEqual({ topic: "a", score: 3 });
    expect(issuesOf(all, answers)).toEqual([issue("answers.terms", "consent_required")]);
  });

  it.each([
    ["abc", "abc"],
    ["4.5", "4.5"],
    ["100", "100"],
    ["", ""],
  ])("keeps a rating %j that is not one or two digits as the string %j", (sent, kept) => {
    expect(answersFromForm(ALL, form([["score", sent]]))).toEqual({ score: kept });
  });

  it("reports a rating that is not digits as a type error, and an empty one as missing", () => {
    expect(
      issuesOf(
        all,
        answersFromForm(
          ALL,
          form([
            ["topic", "a"],
            ["terms", "on"],
            ["score", "abc"],
          ]),
        ),
      ),
    ).toEqual([issue("answers.score", "type_rating")]);
    expect(
      issuesOf(
        all,
        answersFromForm(
          ALL,
          form([
            ["topic", "a"],
            ["terms", "on"],
            ["score", ""],
          ]),
        ),
      ),
    ).toEqual([issue("answers.score", "required")]);
  });

  it("passes unknown fields on, so validation refuses them", () => {
    const answers = answersFromForm(
      ALL,
      form([
        ["topic", "a"],
        ["score", "3"],
        ["terms", "on"],
        ["evil", "1"],
        ["evil", "2"],
      ]),
    );
    expect(answers).toEqual({ topic: "a", score: 3, terms: true, evil: ["1", "2"] });
    expect(issuesOf(all, answers)).toEqual([issue("answers.evil", "unknown_field")]);
  });

  it("turns a repeated text field into a list, which validation refuses", () => {
    const answers = answersFromForm(
      ALL,
      form([
        ["topic", "a"],
        ["score", "3"],
        ["terms", "on"],
        ["title", "a"],
        ["title", "b"],
      ]),
    );
    expect(answers.title).toEqual(["a", "b"]);
    expect(issuesOf(all, answers)).toEqual([issue("answers.title", "type_text")]);
  });

  it("treats an uploaded file in a text field as blank", () => {
    const answers = answersFromForm(
      ALL,
      form([
        ["topic", "a"],
        ["score", "3"],
        ["terms", "on"],
        ["title", new File(["x"], "x.txt")],
      ]),
    );
    expect(answers.title).toBe("");
    expect(validateAnswers(all, answers)).toEqual({ success: true, answers: { ...BASE, score: 3 } });
  });
});
