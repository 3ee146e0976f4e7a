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
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      rows: page,
      next: rows.length > limit && last ? encodeCursor(last.searchKey, last.id) : null,
      searchPending: pending,
    };
  }
  const rows = await listCases(db, scope, filter, limit + 1, cursor);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page,
    next: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    searchPending: 0,
  };
}
