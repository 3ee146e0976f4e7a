/**
 * The satisfaction questionnaire and the disclosure request get their full definitions with their
 * own issues; until then their fixed slugs exist with status "coming_soon" and these minimal forms.
 */
import { type FormDefinition, parseFormDefinition } from "../language.ts";

export function satisfactionPlaceholder(dept: string): FormDefinition {
  return parseFormDefinition({
    id: `${dept}/satisfaction`,
    dept,
    slug: "satisfaction",
    kind: "survey",
    version: 1,
    title: { "zh-CN": "满意度测评", en: "Satisfaction questionnaire" },
    questions: [
      {
        id: "overall",
        type: "single",
        required: true,
        label: { "zh-CN": "总体评价", en: "Overall" },
        options: [
          { value: "very_satisfied", label: { "zh-CN": "非常满意", en: "Very satisfied" } },
          { value: "satisfied", label: { "zh-CN": "满意", en: "Satisfied" } },
          { value: "fair", label: { "zh-CN": "基本满意", en: "Fairly satisfied" } },
          { value: "dissatisfied", label: { "zh-CN": "不满意", en: "Dissatisfied" } },
          { value: "very_dissatisfied", label: { "zh-CN": "非常不满意", en: "Very dissatisfied" } },
        ],
      },
    ],
  });
}

export function disclosurePlaceholder(dept: string): FormDefinition {
  return parseFormDefinition({
    id: `${dept}/disclosure`,
    dept,
    slug: "disclosure",
    kind: "disclosure",
    version: 1,
    title: { "zh-CN": "政府信息公开申请", en: "Government information disclosure request" },
    questions: [
      {
        id: "description",
        type: "textarea",
        required: true,
        label: { "zh-CN": "所需信息的内容描述", en: "Description of the information" },
      },
    ],
  });
}
