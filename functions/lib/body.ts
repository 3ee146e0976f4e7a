/**
 * Reading a submission body: JSON or a plain HTML form post, bounded in size, strictly UTF-8.
 */

import type { Context } from "hono";
import * as v from "valibot";
import { LANGS, type Lang } from "../../forms/language.ts";
import { translate } from "../../forms/messages.ts";
import { AppError } from "./errors.ts";

export const MAX_BODY_BYTES = 64 * 1024;

export type ReadBody = { type: "json"; value: unknown } | { type: "form"; value: FormData };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function readBody(c: Context): Promise<ReadBody> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const isJson = type === "application/json";
  const isForm = type === "application/x-www-form-urlencoded";
  if (!isJson && !isForm) {
    throw new AppError(
      "unsupported_media_type",
      "只接受 application/json 或 application/x-www-form-urlencoded",
      "Send application/json or application/x-www-form-urlencoded",
      {
        issues: [
          {
            path: "headers.Content-Type",
            message: "不支持的类型",
            messageEn: `Unsupported: ${type || "(none)"}`,
          },
        ],
      },
    );
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  if (bytes.length === 0) {
    throw new AppError("bad_request", "请求内容为空", "The request body is empty", {
      issues: [{ path: "body", message: "请求内容为空", messageEn: "Empty body" }],
    });
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new AppError("bad_request", "请求内容不是有效的 UTF-8 编码", "The body is not valid UTF-8", {
      issues: [{ path: "body", message: "编码无效", messageEn: "Invalid UTF-8" }],
    });
  }
  if (isForm) {
    const form = new FormData();
    for (const [k, val] of new URLSearchParams(text)) form.append(k, val);
    return { type: "form", value: form };
  }
  try {
    return { type: "json", value: JSON.parse(text) };
  } catch {
    throw new AppError("bad_request", "请求内容不是有效的 JSON", "The body is not valid JSON", {
      issues: [{ path: "body", message: "JSON 格式错误", messageEn: "Malformed JSON" }],
    });
  }
}

function tooLarge() {
  return new AppError(
    "payload_too_large",
    "提交内容过大（上限 64 KB）",
    "The body is too large (64 KB at most)",
  );
}

/** The JSON envelope of a submission: unknown top-level fields are refused. */
export const SubmissionEnvelope = v.strictObject(
  {
    answers: v.unknown(),
    lang: v.optional(v.picklist(LANGS, "type_choice")),
    botCheck: v.optional(v.pipe(v.string("type_text"), v.maxLength(8192, "too_long:8192"))),
  },
  "unknown_field",
);

export function parseEnvelope(value: unknown): { answers: unknown; lang?: Lang; botCheck?: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new AppError("bad_request", "请求内容应为 JSON 对象", "The body must be a JSON object", {
      issues: [{ path: "body", message: "应为对象", messageEn: "Must be an object" }],
    });
  }
  if (!("answers" in value)) {
    throw new AppError("validation_failed", "缺少 answers", "answers is required", {
      issues: [{ path: "answers", message: "此项为必填项", messageEn: "This field is required" }],
    });
  }
  const parsed = v.safeParse(SubmissionEnvelope, value);
  if (!parsed.success) {
    throw new AppError("validation_failed", "提交的内容有误", "Some fields are invalid", {
      issues: parsed.issues.map((i) => {
        const [message, messageEn] = translate(i.message);
        return { path: v.getDotPath(i) ?? "body", message, messageEn };
      }),
    });
  }
  return parsed.output as { answers: unknown; lang?: Lang; botCheck?: string };
}
