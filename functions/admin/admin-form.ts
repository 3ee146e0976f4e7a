/**
 * What the staff management pages share: allow-list parsing of a form post with valibot (unknown
 * fields are refused, messages in zh-CN and en), the permission gate that audits a refusal, and
 * small formatting helpers.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { type Action, can } from "../auth/permissions.ts";
import { audit } from "../lib/audit.ts";
import type { AppEnv } from "../lib/env.ts";
import { AppError } from "../lib/errors.ts";
import { currentDept } from "./admin-layout.tsx";

/** A valibot message in both languages, `zh|en`; `parseForm` splits it. */
export const msg = (zh: string, en: string) => `${zh}|${en}`;

// As the form compiler: C0 controls (a multi-line text keeps tab, line feed and carriage return),
// DEL, C1 controls and lone surrogates are refused.
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused.
  /[\u0000-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
const CONTROL_BUT_LINES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

const lengthOf = (s: string) => [...s].length;

/** A required single-line text of at most `max` characters, trimmed. */
export const line = (max: number, min = 1) =>
  v.pipe(
    v.string(msg("应填写文字", "Must be text")),
    v.trim(),
    v.check((s) => lengthOf(s) >= min, msg("此项为必填项", "This field is required")),
    v.check((s) => lengthOf(s) <= max, msg(`不能超过 ${max} 个字`, `Must be at most ${max} characters`)),
    v.check((s) => !CONTROL.test(s), msg("含有不允许的控制字符", "Contains characters that are not allowed")),
  );

/** A required multi-line text of at most `max` characters, trimmed. */
export const multiline = (max: number) =>
  v.pipe(
    v.string(msg("应填写文字", "Must be text")),
    v.trim(),
    v.minLength(1, msg("此项为必填项", "This field is required")),
    v.check((s) => lengthOf(s) <= max, msg(`不能超过 ${max} 个字`, `Must be at most ${max} characters`)),
    v.check(
      (s) => !CONTROL_BUT_LINES.test(s),
      msg("含有不允许的控制字符", "Contains characters that are not allowed"),
    ),
  );

export const emailField = v.pipe(
  v.string(msg("应填写文字", "Must be text")),
  v.trim(),
  v.toLowerCase(),
  v.maxLength(254, msg("邮箱过长", "The e-mail address is too long")),
  v.email(msg("请填写正确的电子邮箱", "Enter a valid e-mail address")),
);

/** A whole number from `min` to `max`, as typed into a form. */
export const wholeNumber = (min: number, max: number) =>
  v.pipe(
    v.string(msg("应填写数字", "Must be a number")),
    v.trim(),
    v.regex(/^\d{1,6}$/, msg(`应为 ${min} 到 ${max} 的整数`, `Must be a whole number from ${min} to ${max}`)),
    v.transform(Number),
    v.minValue(min, msg(`应为 ${min} 到 ${max} 的整数`, `Must be a whole number from ${min} to ${max}`)),
    v.maxValue(max, msg(`应为 ${min} 到 ${max} 的整数`, `Must be a whole number from ${min} to ${max}`)),
  );

/** Department slugs as the CLI accepts them (they appear in public URLs). */
export const slugField = v.pipe(
  v.string(msg("应填写文字", "Must be text")),
  v.trim(),
  v.toLowerCase(),
  v.regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    msg(
      "标识只能用小写字母、数字和连字符（-），以字母或数字开头，最多 40 个字符",
      "Use a-z, 0-9 and -, starting with a letter or digit, at most 40 characters",
    ),
  ),
);

export const UNKNOWN_FIELD = msg("表单中没有此项", "This form has no such field");

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; fields: string[] };

/**
 * Parses a form post (without its `_csrf`) against an allow-list schema. On failure, `error` names
 * each field by its label and says what is wrong in Chinese and English.
 * @example parseForm(v.strictObject({ name: line(60) }, UNKNOWN_FIELD), fields, { name: "姓名" })
 */
export function parseForm<S extends v.GenericSchema>(
  schema: S,
  fields: Record<string, string>,
  labels: Record<string, string>,
): Parsed<v.InferOutput<S>> {
  const { _csrf: _, ...rest } = fields;
  const result = v.safeParse(schema, rest);
  if (result.success) return { ok: true, value: result.output };
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const issue of result.issues) {
    const path = v.getDotPath(issue) ?? "";
    if (seen.has(path)) continue;
    seen.add(path);
    const sep = issue.message.indexOf("|");
    const [zh, en] =
      sep === -1 ? ["输入有误", issue.message] : [issue.message.slice(0, sep), issue.message.slice(sep + 1)];
    parts.push(`${labels[path] ?? path}：${zh}（${path}: ${en}）`);
  }
  return { ok: false, error: parts.join("；"), fields: [...seen] };
}

/**
 * The current department, if the signed-in user may do `action` there; otherwise the refusal is
 * audited (as `auditAction`) and the request ends with 403.
 */
export async function allowedDept(c: Context<AppEnv>, action: Action, auditAction: string): Promise<string> {
  const dept = currentDept(c);
  if (!can(c.get("staff")!, dept, action)) {
    await audit(c, { deptId: dept, action: auditAction, result: "denied" });
    throw new AppError("forbidden", "您的角色不能进行此操作", "Your role may not do this");
  }
  return dept;
}

/** Ids in paths are UUIDs; anything else cannot name a row, so it is a 404 without a query. */
export const isUuid = (s: string | undefined): s is string =>
  s !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);

/** A staff IP address with its host part hidden (192.0.2.* / 2001:db8:1::*): where from, not who. */
export function maskIp(ip: string | null | undefined): string {
  if (!ip) return "";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `${ip.split(".").slice(0, 3).join(".")}.*`;
  if (ip.includes(":")) return `${ip.split(":").slice(0, 3).join(":")}::*`;
  return "***";
}
