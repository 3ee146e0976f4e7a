import { OPINION_KINDS } from "../../forms/builtin/opinion.ts";
import type { Lang, Localized } from "../../forms/language.ts";

const STATUS: Record<string, Localized> = {
  received: { "zh-CN": "已收到", en: "Received" },
  assigned: { "zh-CN": "办理中", en: "Being handled" },
  replied: { "zh-CN": "已答复", en: "Replied" },
  closed: { "zh-CN": "已办结", en: "Closed" },
};

const EVENTS: Record<string, Localized> = {
  received: { "zh-CN": "收到来信", en: "Message received" },
  assigned: { "zh-CN": "分派专人办理", en: "Assigned to a handler" },
  replied: { "zh-CN": "作出答复", en: "Reply given" },
  closed: { "zh-CN": "办结", en: "Closed" },
};

export const statusLabel = (s: string, lang: Lang) => STATUS[s]?.[lang] ?? s;
export const eventLabel = (s: string, lang: Lang) => EVENTS[s]?.[lang] ?? s;
export const categoryLabel = (v: string, lang: Lang) =>
  OPINION_KINDS.find((k) => k.value === v)?.label[lang] ?? v;

/** Beijing time, to the minute, for people. */
export function beijingTime(iso: string | number): string {
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
}
