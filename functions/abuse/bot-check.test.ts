/**
 * Abuse protection of public submissions (DESIGN §6): the proof-of-work bot check (ALTCHA protocol,
 * no third-party call from the citizen's browser), the signed token of the no-JavaScript form,
 * Cloudflare Turnstile as an option, and the Workers rate limit. None of them may be off in
 * production, whatever the variables say.
 *
 * Turnstile's siteverify is played by a local HTTP server that vitest's globalSetup starts in Node
 * (test/turnstile-siteverify.global-setup.ts) and hands over with `provide`/`inject`; the Worker's
 * own `fetch` calls it through TURNSTILE_VERIFY_URL. Nothing in the Worker is mocked.
 */
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  encodeSolution,
  fetchChallenge,
  hiddenFields,
  newClientIp,
  postForm,
  prodEnv,
  solve,
  solvedToken,
} from "../../test/bot-helpers.ts";
import { call, countRows, devEnv, postJson, SUBMIT, seedDept, validOpinion } from "../../test/helpers.ts";
import {
  TURNSTILE_DUMMY_TOKEN,
  TURNSTILE_FAIL_SECRET,
  TURNSTILE_PASS_SECRET,
  TURNSTILE_SPENT_SECRET,
} from "../../test/turnstile-test-keys.ts";
import type { Env } from "../lib/env.ts";
import { issueNoJsToken, NOJS_MAX_AGE_MS, NOJS_MIN_AGE_MS } from "./bot-check.ts";

const WIDGET = "/w/demo/opinion";

interface ErrorJson {
  error: { code: string; message: string; messageEn: string; issues?: { path: string }[] };
}

beforeAll(async () => {
  await seedDept();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A JSON submission from one client address, with an optional bot-check token. */
function submit(
  e: Env,
  botCheck?: string,
  ip = newClientIp(),
  key = crypto.randomUUID(),
  answers = validOpinion(),
) {
  return postJson(
    SUBMIT,
    { answers, ...(botCheck === undefined ? {} : { botCheck }) },
    { "idempotency-key": key, "cf-connecting-ip": ip },
    e,
  );
}

/** Counts of every table a refused submission must leave alone. */
async function written() {
  return {
    cases: await countRows("cases"),
    events: await countRows("case_events"),
    keys: await countRows("idempotency_keys"),
    spent: await countRows("spent_challenges"),
  };
}

async function expectRefused(res: Response, status = 403, code = "bot_check_failed") {
  const body = (await res.json()) as ErrorJson;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toBeTruthy();
  expect(body.error.messageEn).toBeTruthy();
  return body;
}

/** The widget page as a browser without JavaScript gets it, and the form it would post back. */
async function widgetForm(
  e: Env,
  over: Record<string, string> = {},
): Promise<{ res: Response; html: string; hidden: Record<string, string>; fields: Record<string, string> }> {
  const res = await call(WIDGET, {}, e);
  expect(res.status).toBe(200);
  const html = await res.text();
  const hidden = hiddenFields(html);
  return {
    res,
    html,
    hidden,
    fields: { ...hidden, kind: "suggest", subject: "社区门诊", body: "建议周末开放全天门诊。", ...over },
  };
}

describe("proof of work (ALTCHA) in production", () => {
  it("refuses a submission without a token with 403 bot_check_failed, writing nothing", async () => {
    const before = await written();
    const body = await expectRefused(await submit(prodEnv()));
    expect(body.error.issues?.map((i) => i.path)).toEqual(["botCheck"]);
    expect(body.error.message).toContain("人机验证");
    expect(await written()).toEqual(before);
  });

  it("serves a fresh challenge that expires within minutes", async () => {
    const res = await call("/api/v1/challenge", {}, prodEnv());
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const ch = (await res.json()) as { algorithm: string; maxnumber: number; salt: string };
    expect(ch.algorithm).toBe("SHA-256");
    expect(ch.maxnumber).toBeGreaterThan(0);
    const expires = Number(new URLSearchParams(ch.salt.split("?")[1]).get("expires")) * 1000;
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    const other = (await (await call("/api/v1/challenge", {}, prodEnv())).json()) as { salt: string };
    expect(other.salt).not.toBe(ch.salt);
  });

  it("accepts a solved challenge once (201) and refuses the same solution again (403)", async () => {
    const token = await solvedToken();
    const ip = newClientIp();
    const first = await submit(prodEnv(), token, ip);
    expect(first.status).toBe(201);
    expect(((await first.json()) as { trackingCode: string }).trackingCode).toMatch(/^[2-9A-HJ-NP-Z]{12}$/);

    const before = await written();
    await expectRefused(await submit(prodEnv(), token, ip));
    // From another address and with another body: still spent.
    await expectRefused(
      await submit(prodEnv(), token, newClientIp(), undefined, validOpinion({ subject: "另一封" })),
    );
    expect(await written()).toEqual(before);
  });

  it("refuses the same solution encoded differently (the challenge is spent, not the string)", async () => {
    const solution = await solve(await fetchChallenge());
    expect((await submit(prodEnv(), encodeSolution(solution))).status).toBe(201);
    const reordered = encodeSolution({
      signature: solution.signature,
      salt: solution.salt,
      number: solution.number,
      challenge: solution.challenge,
      algorithm: solution.algorithm,
    });
    const spaced = btoa(JSON.stringify(solution, null, 2));
    const numberAsText = encodeSolution({ ...solution, number: String(solution.number) });
    for (const token of [reordered, spaced, numberAsText])
      await expectRefused(await submit(prodEnv(), token));
  });

  it("refuses tampered or malformed solutions with 403, never a 500", async () => {
    const solution = await solve(await fetchChallenge());
    const flip = (hex: string) => (hex[0] === "a" ? "b" : "a") + hex.slice(1);
    const later = solution.salt.replace(/expires=(\d+)/, (_, s: string) => `expires=${Number(s) + 3600}`);
    const tampered = [
      encodeSolution({ ...solution, number: solution.number + 1 }),
      encodeSolution({ ...solution, signature: flip(solution.signature) }),
      encodeSolution({ ...solution, challenge: flip(solution.challenge) }),
      encodeSolution({ ...solution, salt: later }),
      encodeSolution({ ...solution, algorithm: "SHA-1" }),
      encodeSolution({ number: solution.number }),
      btoa("not json"),
      "%%% not base64 %%%",
      "",
      "nojs.123.abc.def",
    ];
    const before = await written();
    for (const token of tampered) await expectRefused(await submit(prodEnv(), token));
    expect(await written()).toEqual(before);
    // The genuine solution was not spent by the failed attempts.
    expect((await submit(prodEnv(), encodeSolution(solution))).status).toBe(201);
  });

  it("refuses a solution whose challenge has expired", async () => {
    const solution = await solve(await fetchChallenge());
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    await expectRefused(await submit(prodEnv(), encodeSolution(solution)));
  });

  it("replays a retried submission (same Idempotency-Key and body) without another solution", async () => {
    const key = crypto.randomUUID();
    const ip = newClientIp();
    const first = await submit(prodEnv(), await solvedToken(), ip, key);
    expect(first.status).toBe(201);
    const retry = await submit(prodEnv(), undefined, ip, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
  });

  it("replays a retry that sends the already spent solution again, and writes nothing", async () => {
    const key = crypto.randomUUID();
    const ip = newClientIp();
    const token = await solvedToken();
    const first = await submit(prodEnv(), token, ip, key);
    expect(first.status).toBe(201);
    const before = await written();
    const retry = await submit(prodEnv(), token, ip, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    expect(await written()).toEqual(before);
    // The same solution under a new key is a second use: refused.
    await expectRefused(await submit(prodEnv(), token, ip, crypto.randomUUID()));
    expect(await written()).toEqual(before);
  });

  it("ignores BOT_CHECK=off in production (and when ENVIRONMENT is unset), honours it in development", async () => {
    await expectRefused(await submit(prodEnv({ BOT_CHECK: "off" })));
    const unset = prodEnv({ BOT_CHECK: "off" });
    delete unset.ENVIRONMENT;
    await expectRefused(await submit(unset));
    // Under BOT_CHECK=off, production still checks a proof of work.
    expect((await submit(prodEnv({ BOT_CHECK: "off" }), await solvedToken())).status).toBe(201);

    const dev: Env = { ...devEnv(), BOT_CHECK: "off" };
    expect((await submit(dev)).status).toBe(201);
  });
});

describe("the no-JavaScript form token", () => {
  it("is embedded in the widget page as a hidden `_t` field (and not when the check is off)", async () => {
    const { hidden } = await widgetForm(prodEnv());
    expect(hidden._t).toMatch(/^nojs\.\d+\.[0-9a-f-]{36}\.[0-9a-f]{64}$/);
    expect(hidden._idempotency).toMatch(/^[0-9a-f-]{36}$/);
    const dev = await widgetForm(devEnv());
    expect(dev.hidden._t).toBeUndefined();
  });

  it("refuses the form posted back immediately (a human needs more than 3 seconds), writing nothing", async () => {
    const { fields } = await widgetForm(prodEnv());
    const before = await written();
    const res = await postForm(WIDGET, fields, { "cf-connecting-ip": newClientIp() }, prodEnv());
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("提交未成功");
    expect(html).toContain("人机验证未通过");
    expect(await written()).toEqual(before);
  });

  it("accepts the form from 3 seconds after the page was served, once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const served = Date.parse("2026-09-01T02:00:00Z");
    vi.setSystemTime(served);
    const { fields } = await widgetForm(prodEnv());
    const ip = newClientIp();

    vi.setSystemTime(served + NOJS_MIN_AGE_MS - 1);
    expect((await postForm(WIDGET, fields, { "cf-connecting-ip": ip }, prodEnv())).status).toBe(403);

    vi.setSystemTime(served + NOJS_MIN_AGE_MS);
    const res = await postForm(WIDGET, fields, { "cf-connecting-ip": ip }, prodEnv());
    const html = await res.text();
    expect(res.status, html).toBe(201);
    expect(html).toContain("提交成功");
    expect(html).toMatch(/[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/);

    // The same page posted again with a new idempotency key: the token is spent.
    vi.setSystemTime(served + 60_000);
    const again = await postForm(
      WIDGET,
      { ...fields, _idempotency: crypto.randomUUID() },
      { "cf-connecting-ip": ip },
      prodEnv(),
    );
    expect(again.status).toBe(403);
  });

  it("accepts a token issued a few seconds ago in a JSON submission too, and refuses an expired or forged one", async () => {
    const e = prodEnv();
    const now = Date.now();
    expect((await submit(e, await issueNoJsToken(e, now - 5_000))).status).toBe(201);
    await expectRefused(await submit(e, await issueNoJsToken(e, now - NOJS_MAX_AGE_MS - 1_000)));
    await expectRefused(await submit(e, await issueNoJsToken(e, now + 60_000)));

    const genuine = await issueNoJsToken(e, now - 5_000);
    const [prefix, , nonce, sig] = genuine.split(".");
    // Backdating the timestamp breaks the signature.
    await expectRefused(await submit(e, [prefix, now - 10_000, nonce, sig].join(".")));
    // A token signed with another key.
    const foreign = await issueNoJsToken({ ...e, ALTCHA_HMAC_KEY: "another-key" }, now - 5_000);
    await expectRefused(await submit(e, foreign));
    expect((await submit(e, genuine)).status).toBe(201);
  });
});

describe("Cloudflare Turnstile (siteverify played by a local server)", () => {
  const verifyUrl = inject("turnstileVerifyUrl");
  const turnstile = (secret: string, over: Partial<Env> = {}) =>
    prodEnv({ BOT_CHECK: "turnstile", TURNSTILE_SECRET: secret, TURNSTILE_VERIFY_URL: verifyUrl, ...over });

  async function received(token: string) {
    const res = await fetch(verifyUrl.replace(/\/siteverify$/, "/requests"));
    const all = (await res.json()) as { secret: string; response: string; remoteip: string | null }[];
    return all.filter((r) => r.response === token);
  }

  it("accepts a token that siteverify passes, sending the secret, the token and the client address", async () => {
    const token = `${TURNSTILE_DUMMY_TOKEN}.${crypto.randomUUID()}`;
    const ip = newClientIp();
    const res = await submit(turnstile(TURNSTILE_PASS_SECRET), token, ip);
    expect(res.status).toBe(201);
    expect(await received(token)).toEqual([
      expect.objectContaining({ secret: TURNSTILE_PASS_SECRET, response: token, remoteip: ip }),
    ]);
  });

  it("refuses a token that siteverify fails or reports as already spent, writing nothing", async () => {
    const before = await written();
    const failed = await expectRefused(await submit(turnstile(TURNSTILE_FAIL_SECRET), TURNSTILE_DUMMY_TOKEN));
    expect(failed.error.messageEn).toContain("invalid-input-response");
    const spent = await expectRefused(await submit(turnstile(TURNSTILE_SPENT_SECRET), TURNSTILE_DUMMY_TOKEN));
    expect(spent.error.messageEn).toContain("timeout-or-duplicate");
    await expectRefused(await submit(turnstile(TURNSTILE_PASS_SECRET)));
    expect(await written()).toEqual(before);
  });

  it("refuses (403, not 500) when siteverify is unavailable", async () => {
    // A 503 HTML page rather than a refused connection: workerd logs an uncaught stream error for
    // the latter even though the Worker handles it, which would only add noise to the test output.
    const down = turnstile(TURNSTILE_PASS_SECRET, {
      TURNSTILE_VERIFY_URL: verifyUrl.replace(/\/siteverify$/, "/unavailable"),
    });
    const body = await expectRefused(await submit(down, TURNSTILE_DUMMY_TOKEN));
    expect(body.error.messageEn).toMatch(/could not be reached/);
  });

  it("renders the Turnstile widget with its site key, lets its origin into the CSP, and takes its field from the plain form", async () => {
    const e = turnstile(TURNSTILE_PASS_SECRET);
    const { res, html, fields } = await widgetForm(e);
    expect(html).toContain('class="cf-turnstile"');
    expect(html).toContain(`data-sitekey="${e.TURNSTILE_SITE_KEY}"`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src [^;]*https:\/\/challenges\.cloudflare\.com/);
    expect(csp).toMatch(/frame-src [^;]*https:\/\/challenges\.cloudflare\.com/);

    const token = `${TURNSTILE_DUMMY_TOKEN}.${crypto.randomUUID()}`;
    const { _t, ...withoutNoJs } = fields;
    expect(_t).toBeTruthy();
    const posted = await postForm(
      WIDGET,
      { ...withoutNoJs, "cf-turnstile-response": token },
      { "cf-connecting-ip": newClientIp() },
      e,
    );
    expect(posted.status).toBe(201);
    expect(await received(token)).toHaveLength(1);
  });
});

describe("rate limit (Workers rate-limiting binding, 10 per minute per form and client)", () => {
  const limited: Env = { ...devEnv(), ENVIRONMENT: "test", RATE_LIMIT: "on", BOT_CHECK: "off" };

  /**
   * Runs `burst` from a fresh client address inside one rate-limit window. The local simulation
   * counts in fixed 60-second windows aligned to the clock, so a burst that straddles a minute
   * boundary would be counted in two windows; then it is run again from another address (no sleep).
   */
  async function inOneWindow<T>(burst: (ip: string) => Promise<T>): Promise<T> {
    const window = () => Math.floor(Date.now() / 60_000);
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = window();
      const result = await burst(newClientIp());
      if (window() === started) return result;
    }
    throw new Error("three bursts in a row crossed a minute boundary");
  }

  it("answers the 11th submission within a minute from one client with 429 and Retry-After; others are unaffected", async () => {
    const { statuses, res, before, after } = await inOneWindow(async (ip) => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await submit(limited, undefined, ip)).status);
      const before = await written();
      const res = await submit(limited, undefined, ip);
      return { statuses, res, before, after: await written() };
    });
    expect(statuses).toEqual(Array(10).fill(201));
    const body = await expectRefused(res, 429, "rate_limited");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(body.error.message).toMatch(/频繁/);
    expect(body.error.messageEn).toMatch(/too many/i);
    expect(after).toEqual(before);

    expect((await submit(limited, undefined, newClientIp())).status).toBe(201);
  });

  it("replays a stored submission's retry even when its client is over the limit", async () => {
    const { first, retry, fresh } = await inOneWindow(async (ip) => {
      const key = crypto.randomUUID();
      const first = await submit(limited, undefined, ip, key);
      for (let i = 1; i < 10; i++) await submit(limited, undefined, ip);
      const retry = await submit(limited, undefined, ip, key);
      const fresh = await submit(limited, undefined, ip);
      return { first, retry, fresh };
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    await expectRefused(fresh, 429, "rate_limited");
  });

  it("limits the no-JavaScript form the same way, with Retry-After on the page", async () => {
    const { fields } = await widgetForm(limited);
    const { statuses, res } = await inOneWindow(async (ip) => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await submit(limited, undefined, ip)).status);
      return { statuses, res: await postForm(WIDGET, fields, { "cf-connecting-ip": ip }, limited) };
    });
    expect(statuses).toEqual(Array(10).fill(201));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.text()).toContain("提交过于频繁");
  });

  it("lets 15 submissions through with RATE_LIMIT=off in development", async () => {
    const dev: Env = { ...devEnv(), RATE_LIMIT: "off" };
    const ip = newClientIp();
    for (let i = 0; i < 15; i++) expect((await submit(dev, undefined, ip)).status, `#${i + 1}`).toBe(201);
  });

  it("ignores RATE_LIMIT=off in production", async () => {
    const e = prodEnv({ RATE_LIMIT: "off" });
    const token = () => issueNoJsToken(e, Date.now() - 5_000);
    const statuses = await inOneWindow(async (ip) => {
      const out: number[] = [];
      for (let i = 0; i < 11; i++) out.push((await submit(e, await token(), ip)).status);
      return out;
    });
    expect(statuses).toEqual([...Array(10).fill(201), 429]);
  });
});
