/**
 * One page of the inbox, for the staff API and the staff pages alike: a listing in date order
 * (`listCases`), or a search in order of arrival (`searchCases`), each with its own opaque cursor.
 */
import type { Db } from "../../schema/db.ts";
import {
  type CaseFilter,
  type CaseRow,
  listCases,
  type Scope,
  searchCases,
} from "../../schema/queries/cases.ts";
import { encodeCursor } from "../lib/cursor.ts";

export interface InboxPage {
  rows: CaseRow[];
  /** The cursor of the next page, or null on the last one. */
  next: string | null;
  /** Cases the search index had not taken in yet (a large backlog after an upgrade); 0 normally. */
  searchPending: number;
}

/**
 * `cursor` is what an earlier page's `next` decoded to: (createdAt, id) for a listing, (search key,
 * id) for a search. A listing's cursor given to a search (or the other way round) starts from the top.
 */
export async function inboxPage(
  db: Db,
  scope: Scope,
  filter: CaseFilter,
  q: string | undefined,
  limit: number,
  cursor: { at: number; id: string } | undefined,
): Promise<InboxPage> {
  if (q) {
    const { rows, pending } = await searchCases(db, scope, q, filter, limit + 1, cursor?.at);
    return { ...paged(rows, limit, (r) => encodeCursor(r.searchKey, r.id)), searchPending: pending };
  }
  const rows = await listCases(db, scope, filter, limit + 1, cursor);
  return { ...paged(rows, limit, (r) => encodeCursor(r.createdAt, r.id)), searchPending: 0 };
}

/** The first `limit` of `limit + 1` rows, and the next page's cursor when there was one more. */
function paged<R extends CaseRow>(rows: R[], limit: number, cursorOf: (last: R) => string) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page as CaseRow[], next: rows.length > limit && last ? cursorOf(last) : null };
}
