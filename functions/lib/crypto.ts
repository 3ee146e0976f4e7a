/** WebCrypto helpers: personal data at rest (AES-256-GCM), token hashing, passwords (PBKDF2). */

const enc = new TextEncoder();
const dec = new TextDecoder();

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export async function sha256Hex(input: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(input)));
  let hex = "";
  for (const b of digest) hex += HEX[b];
  return hex;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function dataKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    const raw = fromBase64(secret);
    if (raw.length !== 32) throw new Error("DATA_KEY must be base64 of 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * Encrypts personal data (PIPL: phone numbers and ID numbers are sensitive) with AES-256-GCM.
 * The result is `v1.<iv b64>.<ciphertext b64>`; `aad` binds it to its row so it cannot be moved.
 */
export async function encryptPersonal(secret: string, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: enc.encode(aad) },
    await dataKey(secret),
    enc.encode(plaintext),
  );
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}`;
}

export async function decryptPersonal(secret: string, sealed: string, aad: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("unknown ciphertext format");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: enc.encode(aad) },
    await dataKey(secret),
    fromBase64(ct),
  );
  return dec.decode(pt);
}

/** A random secret for API tokens and one-time passwords (url-safe base64 of `bytes` bytes). */
export function randomSecret(bytes = 24): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export const PBKDF2_ITERATIONS = 100_000;

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>` with a per-user 16-byte salt. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !iter || !salt || !hash) return false;
  // A damaged hash answers "no" rather than throwing or burning CPU: Workers run at most 100,000
  // PBKDF2 iterations, and locally a huge count would take minutes.
  const iterations = Number(iter);
  if (!/^\d+$/.test(iter) || iterations < 1 || iterations > PBKDF2_ITERATIONS) return false;
  let saltBytes: Uint8Array<ArrayBuffer>;
  let expected: Uint8Array;
  try {
    saltBytes = fromBase64(salt);
    expected = fromBase64(hash);
  } catch {
    return false;
  }
  const actual = await pbkdf2(password, saltBytes, iterations);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}

async function pbkdf2(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}
