import type { CaseRow } from "../../schema/queries/cases.ts";
import { decryptPersonal } from "../lib/crypto.ts";
import type { Env } from "../lib/env.ts";

/** A case's personal data in clear (name, contact), decrypted with DATA_KEY; {} when there is none. */
export async function readPersonal(env: Env, row: CaseRow): Promise<Record<string, string>> {
  if (!row.personalEnc || !env.DATA_KEY) return {};
  return JSON.parse(await decryptPersonal(env.DATA_KEY, row.personalEnc, row.id)) as Record<string, string>;
}
