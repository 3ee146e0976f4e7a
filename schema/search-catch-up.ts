/**
 * The inbox's full-text index (`cases_fts`, migration 0006): what goes into it and the statements
 * that bring it up to date with `cases`. Plain code with no imports, so that the bench's seeders
 * (Node, node:sqlite) index exactly as the Worker does.
 *
 * Chinese is searched by substring, and the words staff search for are mostly two characters (医保,
 * 门诊, 噪音). FTS5's trigram tokenizer indexes every three consecutive characters, so on its own it
 * cannot find a one- or two-character string without reading every case. The index therefore
 * holds each text with a separator around every character: "门诊" is stored as "␁门␁诊␁", whose
 * trigrams are the characters ("␁门␁", "␁诊␁") and the pairs ("门␁诊"). Any query then has three
 * characters or more once separated: one character is a single token, two are a single pair, n are
 * a phrase of 2n-3 consecutive tokens. Matching stays exact substring matching, and a search never
 * reads more of the index than its page needs (schema/queries/cases.ts, `searchCases`).
 *
 * The separator is U+E000, a private-use character: JSON carries it as one character (a control
 * character would become six), and it is removed from every text and query first.
 */
export const SEARCH_SEPARATOR = "\uE000";

/** A text as the index stores it: every character between separators. */
export function searchText(text: string | null | undefined): string {
  if (!text) return "";
  const chars = [...text.replaceAll(SEARCH_SEPARATOR, "")];
  return chars.length ? `${SEARCH_SEPARATOR}${chars.join(SEARCH_SEPARATOR)}${SEARCH_SEPARATOR}` : "";
}

/**
 * The FTS5 query for a search string (one phrase, quoted), or null when nothing is left to search
 * for. One character matches its own token; more match the separated pairs, so "门诊" is the single
 * token "门␁诊" and "门诊时" the phrase "门␁诊", "␁诊␁", "诊␁时".
 */
export function searchPhrase(query: string): string | null {
  const chars = [...query.replaceAll(SEARCH_SEPARATOR, "").trim()];
  if (chars.length === 0) return null;
  const body =
    chars.length === 1 ? `${SEARCH_SEPARATOR}${chars[0]}${SEARCH_SEPARATOR}` : chars.join(SEARCH_SEPARATOR);
  return `"${body.replaceAll('"', '""')}"`;
}

/**
 * Reading what is not yet indexed, in one read-only batch: the state, the next cases past `upto`
 * (rowid order, at most ?1), and cases queued for re-indexing because their text changed after
 * they were indexed (at most ?1). Each case comes with its id and `rev`, so that the write below
 * indexes it only if it is still the same version.
 */
export const SEARCH_READ_SQL = [
  `SELECT upto, (SELECT coalesce(max(rowid), 0) FROM cases) AS newest,
      (SELECT count(*) FROM search_reindex) AS queued
    FROM search_index_state WHERE id = 1`,
  `SELECT rowid AS r, id, rev, subject AS s, body AS b, coalesce(reply_text, '') AS t FROM cases
    WHERE rowid > (SELECT upto FROM search_index_state WHERE id = 1) ORDER BY rowid LIMIT ?1`,
  `SELECT c.rowid AS r, c.id, c.rev, c.subject AS s, c.body AS b, coalesce(c.reply_text, '') AS t
    FROM search_reindex q JOIN cases c ON c.rowid = q.case_rowid ORDER BY q.case_rowid LIMIT ?1`,
] as const;

/**
 * Writing one chunk, in one transaction (a D1 batch). ?1 is a JSON array of
 * `[rowid, id, rev, subject, body, reply]` with the texts already separated (`searchText`). A case
 * that changed or went since it was read is not indexed from the stale copy: it is queued again
 * (or, gone, skipped). The last chunk of a read also moves `upto` to ?2, the last rowid read.
 */
const SAME_VERSION = `FROM json_each(?1) j JOIN cases c
      ON c.rowid = j.value ->> 0 AND c.id = j.value ->> 1 AND c.rev = j.value ->> 2`;
export const SEARCH_WRITE_SQL = [
  `INSERT OR REPLACE INTO cases_fts(rowid, subject, body, reply_text)
    SELECT j.value ->> 0, j.value ->> 3, j.value ->> 4, j.value ->> 5 ${SAME_VERSION}`,
  `DELETE FROM search_reindex WHERE case_rowid IN (SELECT j.value ->> 0 ${SAME_VERSION})`,
  `INSERT OR IGNORE INTO search_reindex(case_rowid)
    SELECT c.rowid FROM json_each(?1) j JOIN cases c ON c.rowid = j.value ->> 0
    WHERE c.id <> j.value ->> 1 OR c.rev <> j.value ->> 2`,
] as const;
export const SEARCH_MOVE_SQL = `UPDATE search_index_state SET upto = max(upto, ?1) WHERE id = 1`;

/** Cases read at a time. */
export const SEARCH_READ_BATCH = 500;
/**
 * Characters of JSON per write. D1 takes strings of up to 2,000,000 bytes; a Chinese character is three
 * bytes in UTF-8, so 300,000 characters stay under 900 KB whatever the text (separated texts are twice
 * as long as the cases').
 */
export const SEARCH_WRITE_CHARS = 300_000;

export interface UnindexedCase {
  r: number;
  id: string;
  rev: string;
  s: string | null;
  b: string | null;
  t: string | null;
}

/** The JSON arguments of SEARCH_WRITE_SQL for a read's cases, in chunks of at most `maxChars`. */
export function searchWriteChunks(rows: UnindexedCase[], maxChars = SEARCH_WRITE_CHARS): string[] {
  const chunks: string[] = [];
  let items: string[] = [];
  let size = 2;
  for (const row of rows) {
    const item = JSON.stringify([
      row.r,
      row.id,
      row.rev,
      searchText(row.s),
      searchText(row.b),
      searchText(row.t),
    ]);
    if (items.length && size + item.length + 1 > maxChars) {
      chunks.push(`[${items.join(",")}]`);
      items = [];
      size = 2;
    }
    items.push(item);
    size += item.length + 1;
  }
  if (items.length) chunks.push(`[${items.join(",")}]`);
  return chunks;
}
