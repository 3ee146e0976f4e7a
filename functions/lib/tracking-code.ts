/**
 * Tracking codes (查询码) a person can read aloud over the phone: 12 characters from a 32-letter
 * alphabet without 0/O/1/I, i.e. 60 bits of randomness, shown in groups of four (ABCD-EFGH-JKLM).
 */
export const TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
export const TRACKING_LENGTH = 12;

export function newTrackingCode(): string {
  // 32 divides 256, so `byte % 32` is uniform.
  const bytes = crypto.getRandomValues(new Uint8Array(TRACKING_LENGTH));
  let code = "";
  for (const b of bytes) code += TRACKING_ALPHABET[b % 32];
  return code;
}

/** Accepts what people type: any case, with spaces or dashes; returns null when it cannot be a code. */
export function normalizeTrackingCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, "").toUpperCase();
  if (code.length !== TRACKING_LENGTH) return null;
  for (const ch of code) if (!TRACKING_ALPHABET.includes(ch)) return null;
  return code;
}

export function formatTrackingCode(code: string): string {
  return code.match(/.{1,4}/g)!.join("-");
}
