/**
 * Helpers for the abuse-protection tests: the production posture as an env, a proof-of-work solver
 * that does what the widget's browser does (ALTCHA protocol), and plain form posts (the no-JS widget).
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../functions/lib/env.ts";
import { call } from "./helpers.ts";

/** Production as deployed (wrangler.toml [vars]), optionally with some variables changed. */
export const prodEnv = (over: Partial<Env> = {}): Env => ({
  ...env,
  ENVIRONMENT: "production",
  BOT_CHECK: "altcha",
  RATE_LIMIT: "on",
  ...over,
});

/** A challenge as GET /api/v1/challenge serves it. */
export interface AltchaChallenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** What the widget posts back: the challenge with the number found. */
export interface AltchaSolution {
  algorithm: string;
  challenge: string;
  number: number;
  salt: string;
  signature: string;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function fetchChallenge(e: Env = prodEnv()): Promise<AltchaChallenge> {
  const res = await call("/api/v1/challenge", {}, e);
  expect(res.status).toBe(200);
  return (await res.json()) as AltchaChallenge;
}

/** Finds n in 0..maxnumber with sha256(salt + n) = challenge, as the browser does. */
export async function solve(ch: AltchaChallenge): Promise<AltchaSolution> {
  expect(ch.algorithm).toBe("SHA-256");
  for (let n = 0; n <= ch.maxnumber; n++) {
    if ((await sha256Hex(ch.salt + n)) === ch.challenge) {
      return {
        algorithm: ch.algorithm,
        challenge: ch.challenge,
        number: n,
        salt: ch.salt,
        signature: ch.signature,
      };
    }
  }
  throw new Error("challenge has no solution within maxnumber");
}

/** The `altcha` payload: base64 of the solution's JSON. */
export const encodeSolution = (s: object): string => btoa(JSON.stringify(s));

/** A fresh challenge, solved and encoded: one token that buys one submission. */
export async function solvedToken(e: Env = prodEnv()): Promise<string> {
  return encodeSolution(await solve(await fetchChallenge(e)));
}

/** The hidden inputs of a rendered widget form, by name. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** A plain `application/x-www-form-urlencoded` post, as a browser without JavaScript sends it. */
export function postForm(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  e?: Env,
): Promise<Response> {
  return call(
    path,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    e,
  );
}

let lastOctet = 0;
/** A client address of its own (TEST-NET-3), so rate-limit counts of different tests never mix. */
export function newClientIp(): string {
  lastOctet += 1;
  return `203.0.113.${lastOctet}`;
}
