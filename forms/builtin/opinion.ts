/**
 * The built-in opinion box (意见箱). Departments may copy and adapt it; the `role`s tie answers to
 * the case spine (category, subject, body, personal data, consent to publish).
 */
import { type FormDefinition, parseFormDefinition } from "../language.ts";

/** Opinion kinds and their reply norm override (working days); 纠错 has its own, shorter norm. */
export const OPINION_KINDS = [
  { value: "consult", label: { "zh-CN": "咨询", en: "Question" } },
  { value: "suggest", label: { "zh-CN": "建议", en: "Suggestion" } },
  { value: "complain", label: { "zh-CN": "投诉", en: "Complaint" } },
  { value: "report", label: { "zh-CN": "举报", en: "Report of wrongdoing" } },
  { value: "disclose", label: { "zh-CN": "点题公开", en: "Please publish this information" } },
  { value: "correction", label: { "zh-CN": "纠错", en: "Website error" } },
] as const;

export type OpinionKind = (typeof OPINION_KINDS)[number]["value"];

/** The opinion box for a department, as a validated definition. */
export function opinionBox(dept: string, slug = "opinion"): FormDefinition {
  return parseFormDefinition({
    id: `${dept}/${slug}`,
    dept,
    slug,
    kind: "opinion",
    version: 1,
    title: { "zh-CN": "意见箱", en: "Opinion box" },
    description: {
      "zh-CN": "欢迎您提出咨询、建议、投诉和举报。我们会在规定时限内答复，您可凭查询码查看办理进度。",
      en: "Ask, suggest, complain or report. We reply within the set time; use your tracking code to follow progress.",
    },
    privacyNotice: {
      "zh-CN":
        "个人信息保护告知：姓名和联系方式仅用于办理和答复您的来信，加密保存，不会公开。您可以匿名提交。选择同意公开时，我们只在回音壁上公开去除个人信息后的来信内容和答复。",
      en: "Privacy notice: your name and contact are used only to handle and answer this message; they are stored encrypted and never published. You may stay anonymous. If you agree to publication, only the message without personal details and our reply appear on the echo wall.",
    },
    questions: [
      {
        id: "kind",
        type: "single",
        required: true,
        role: "category",
        label: { "zh-CN": "类型", en: "Type" },
        options: OPINION_KINDS.map((k) => ({ value: k.value, label: { ...k.label } })),
      },
      {
        id: "pageUrl",
        type: "text",
        required: false,
        maxLength: 500,
        label: { "zh-CN": "出错的网页地址", en: "Address of the page with the error" },
        help: { "zh-CN": "便于我们尽快改正", en: "Helps us fix it quickly" },
        showIf: { question: "kind", equals: "correction" },
      },
      {
        id: "subject",
        type: "text",
        required: true,
        maxLength: 100,
        role: "subject",
        label: { "zh-CN": "标题", en: "Subject" },
      },
      {
        id: "body",
        type: "textarea",
        required: true,
        maxLength: 5000,
        role: "body",
        label: { "zh-CN": "内容", en: "Message" },
        help: {
          "zh-CN": "请写明事由、时间、地点等，不超过 5000 字",
          en: "What happened, when and where; up to 5,000 characters",
        },
      },
      {
        id: "name",
        type: "text",
        required: false,
        maxLength: 50,
        personal: true,
        role: "name",
        label: { "zh-CN": "姓名", en: "Name" },
      },
      {
        id: "contact",
        type: "contact",
        required: false,
        personal: true,
        role: "contact",
        label: { "zh-CN": "手机号码或电子邮箱", en: "Mobile number or e-mail" },
        help: { "zh-CN": "留下联系方式，便于我们回复您", en: "So that we can answer you directly" },
      },
      {
        id: "publish",
        type: "consent",
        required: false,
        role: "consentPublish",
        label: {
          "zh-CN": "同意在回音壁上公开（隐去个人信息）",
          en: "I agree to publication on the echo wall (without personal details)",
        },
      },
    ],
  });
}
