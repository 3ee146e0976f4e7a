/**
 * Opaque keyset cursors for paginated lists: base64url of `<epoch ms>.<id>`. Each list checks the id
 * part its own way (a UUID for cases, an integer for audit entries).
 */
import { AppError } from "./errors.ts";

export function encodeCursor(at: number, id: string | number): string {
  return btoa(`${at}.${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `{ at, id }` with the id as text, or null when `raw` is not a cursor at all. */
export function decodeCursorText(raw: string): { at: number; id: string } | null {
  let text: string;
  try {
    text = atob(raw.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const dot = text.indexOf(".");
  const at = Number(text.slice(0, dot));
  if (dot < 1 || !/^\d{1,16}$/.test(text.slice(0, dot)) || !Number.isSafeInteger(at)) return null;
  return { at, id: text.slice(dot + 1) };
}

/** A case cursor (`createdAt` or `publishedAt`, case id); a malformed one is a 400 on `query.cursor`. */
export function decodeCursor(raw: string | undefined): { at: number; id: string } | undefined {
  if (!raw) return undefined;
  const cursor = decodeCursorText(raw);
  if (!cursor || !/^[0-9a-f-]{36}$/.test(cursor.id)) {
    throw new AppError("bad_request", "分页游标无效", "Invalid cursor", {
      issues: [{ path: "query.cursor", message: "游标无效", messageEn: "Invalid cursor" }],
    });
  }
  return cursor;
}
