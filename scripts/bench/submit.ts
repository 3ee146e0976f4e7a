/**
 * 3. Submissions: Huiyin's POST /api/v1/forms/demo/opinion/submissions against a bare Worker that does
 * one D1 insert, both in local `wrangler dev` with D1 (bot check and rate limit off), autocannon with
 * 50 connections and a unique Idempotency-Key per request. Then a retry phase in which every
 * submission is sent again up to three times with the same key and body, some while the first is
 * still in flight, and the stored cases are compared with the keys that were acknowledged.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT } from "../lib/d1.ts";
import { bootstrapDemo, d1Execute, statePath } from "./lib/d1.ts";
import type { Budget, SectionBody, Table } from "./lib/report.ts";
import { PORTS, startWorker, type WorkerServer } from "./lib/servers.ts";
import { benchVars } from "./lib/site.ts";
import { int, median, ms, pool, ratio, x } from "./lib/stats.ts";
import type { BenchContext } from "./run.ts";

const BARE_DIR = join(ROOT, "scripts/bench/bare-worker");
const PATH = "/api/v1/forms/demo/opinion/submissions";
/**
 * D1 round trips of one accepted submission: one batch (the idempotency record, the case, its first
 * event, and the spent proof-of-work solution when the check is on). The form comes from the
 * per-isolate cache after the first request. A duplicate pays one more call, to read the record.
 */
const HUIYIN_D1_CALLS = 1;

const BODY_TEXT =
  "社区卫生服务中心周末只开半天，很多上班族只能周末看病，建议延长到下午五点，并在门口公示值班医生和预约方式，方便老年人了解。";

function answers(subject: string) {
  return {
    kind: "suggest",
    subject,
    body: BODY_TEXT,
    name: "张三",
    contact: "13800138000",
    publish: true,
  };
}

// autocannon ships no types; this is the part of its API we use.
interface AcRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface AcResult {
  duration: number;
  latency: { p50: number; p99: number; average: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; pipelining: number; requests: AcRequest[] },
  cb: (err: Error | null, result: AcResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

interface Phase {
  result: AcResult;
  acked: Set<string>;
  statuses: Map<number, number>;
}

function load(
  origin: string,
  seconds: number,
  connections: number,
  subjectOf: (key: string) => string,
  path = PATH,
) {
  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  return new Promise<Phase>((resolve, reject) => {
    autocannon(
      {
        url: origin,
        connections,
        duration: seconds,
        pipelining: 1,
        requests: [
          {
            method: "POST",
            path,
            headers: { "content-type": "application/json" },
            setupRequest: (req, context) => {
              const key = randomUUID();
              context.key = key;
              return {
                ...req,
                headers: { ...req.headers, "idempotency-key": key },
                body: JSON.stringify({ answers: answers(subjectOf(key)), lang: "zh-CN" }),
              };
            },
            onResponse: (status, _body, context) => {
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              if (status === 201) acked.add(context.key as string);
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve({ result, acked, statuses })),
    );
  });
}

/** Several rounds of one Worker as one phase: counts summed, latencies the request-weighted mean of the rounds'. */
function merge(phases: Phase[]): Phase {
  const total = phases.reduce((n, p) => n + p.result.requests.total, 0) || 1;
  const weighted = (k: "p50" | "p99" | "average") =>
    phases.reduce((v, p) => v + p.result.latency[k] * p.result.requests.total, 0) / total;
  const sum = (k: "duration" | "errors" | "timeouts" | "non2xx" | "2xx") =>
    phases.reduce((v, p) => v + p.result[k], 0);
  const statuses = new Map<number, number>();
  const acked = new Set<string>();
  for (const p of phases) {
    for (const [s, n] of p.statuses) statuses.set(s, (statuses.get(s) ?? 0) + n);
    for (const k of p.acked) acked.add(k);
  }
  return {
    result: {
      duration: sum("duration"),
      latency: { p50: weighted("p50"), p99: weighted("p99"), average: weighted("average") },
      requests: { average: total / (sum("duration") || 1), total },
      errors: sum("errors"),
      timeouts: sum("timeouts"),
      non2xx: sum("non2xx"),
      "2xx": sum("2xx"),
    },
    acked,
    statuses,
  };
}

interface Stored {
  rows: number;
  distinct: number;
  lost: number;
  duplicated: number;
  unacknowledged: number;
}

/** Compares the cases stored for a phase with the keys that were acknowledged. */
function compare(persistTo: string, prefix: string, acked: Set<string>): Stored {
  const [rows = []] = d1Execute(
    persistTo,
    `SELECT subject, count(*) AS n FROM cases WHERE subject LIKE '${prefix}%' GROUP BY subject;`,
  );
  const stored = new Map(rows.map((r) => [String(r.subject).slice(prefix.length), Number(r.n)]));
  let lost = 0;
  for (const k of acked) if (!stored.has(k)) lost++;
  let duplicated = 0;
  let unacknowledged = 0;
  let total = 0;
  for (const [k, n] of stored) {
    total += n;
    duplicated += n - 1;
    if (!acked.has(k)) unacknowledged++;
  }
  return { rows: total, distinct: stored.size, lost, duplicated, unacknowledged };
}

interface Attempt {
  status: number;
  code?: string;
  replayed: boolean;
}

async function post(origin: string, key: string, body: string): Promise<Attempt> {
  try {
    const res = await fetch(`${origin}${PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json().catch(() => ({}))) as { trackingCode?: string };
    return {
      status: res.status,
      ...(json.trackingCode ? { code: json.trackingCode } : {}),
      replayed: res.headers.get("idempotent-replayed") === "true",
    };
  } catch {
    return { status: 0, replayed: false };
  }
}

interface RetryOutcome {
  submissions: number;
  attempts: number;
  statuses: Map<string, number>;
  acked: Set<string>;
  inconsistent: number;
  seconds: number;
}

/**
 * Each submission: the first send, then 1–3 re-sends with the same key and body — the first re-send,
 * half of the time, while the first is still in flight (a client that gave up waiting), the others
 * after an answer (a client whose answer was lost). A key never acknowledged is tried once more
 * later, as the widget does.
 */
async function retryPhase(
  origin: string,
  n: number,
  connections: number,
  prefix: string,
): Promise<RetryOutcome> {
  const statuses = new Map<string, number>();
  const acked = new Set<string>();
  let attempts = 0;
  let inconsistent = 0;
  const t0 = performance.now();
  const codes = new Map<string, Set<string>>();
  const bodies = new Map<string, string>();
  const note = (key: string, a: Attempt) => {
    attempts++;
    const label = a.status === 0 ? "network error" : `${a.status}${a.replayed ? " (replayed)" : ""}`;
    statuses.set(label, (statuses.get(label) ?? 0) + 1);
    if ((a.status === 201 || a.status === 200) && a.code) {
      acked.add(key);
      codes.set(key, (codes.get(key) ?? new Set()).add(a.code));
    }
  };
  await pool(
    Array.from({ length: n }, () => randomUUID()),
    connections,
    async (key) => {
      const body = JSON.stringify({ answers: answers(`${prefix}${key}`), lang: "zh-CN" });
      bodies.set(key, body);
      let resends = 1 + Math.floor(Math.random() * 3);
      const first = post(origin, key, body).then((a) => note(key, a));
      if (Math.random() < 0.5) {
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        resends--;
        await Promise.all([first, post(origin, key, body).then((a) => note(key, a))]);
      } else {
        await first;
      }
      for (; resends > 0; resends--) note(key, await post(origin, key, body));
    },
  );
  const unacked = [...bodies.keys()].filter((k) => !acked.has(k));
  if (unacked.length) {
    await new Promise((r) => setTimeout(r, 1000));
    await pool(unacked, connections, async (key) => note(key, await post(origin, key, bodies.get(key)!)));
  }
  for (const set of codes.values()) if (set.size > 1) inconsistent++;
  return {
    submissions: n,
    attempts,
    statuses,
    acked,
    inconsistent,
    seconds: (performance.now() - t0) / 1000,
  };
}

export async function submit(ctx: BenchContext): Promise<SectionBody> {
  const { duration, rounds, connections, retrySubmissions } = ctx.opts;
  const hyState = statePath("submit");
  const bareState = statePath("bare");
  // Both Workers start from empty databases on every run, so that the figures do not depend on how
  // many earlier runs have filled them (each run adds tens of thousands of rows to each).
  rmSync(hyState, { recursive: true, force: true });
  rmSync(bareState, { recursive: true, force: true });
  bootstrapDemo(hyState);
  d1Execute(bareState, readSchema(), { config: join(BARE_DIR, "wrangler.toml") });

  const run = Date.now().toString(36);
  const servers: WorkerServer[] = [];
  try {
    const hy = await startWorker({
      name: "submit-huiyin",
      port: PORTS.worker,
      inspectorPort: PORTS.workerInspector,
      persistTo: hyState,
      vars: benchVars({ BOT_CHECK: "off", RATE_LIMIT: "off" }),
      readyPath: "/healthz",
    });
    servers.push(hy);
    const bare = await startWorker({
      name: "submit-bare",
      config: join(BARE_DIR, "wrangler.toml"),
      port: PORTS.bare,
      inspectorPort: PORTS.bareInspector,
      persistTo: bareState,
    });
    servers.push(bare);

    ctx.log("warm-up (3 s each)");
    await load(hy.direct, 3, connections, (k) => `bench ${run} w ${k}`);
    await load(bare.direct, 3, connections, (k) => `bench ${run} w ${k}`);

    // Alternating rounds, Huiyin then the bare Worker, so that load from other work on a shared
    // machine falls on both alike; the ratio is the median of the rounds' ratios.
    const hyRounds: Phase[] = [];
    const bareRounds: Phase[] = [];
    for (let i = 1; i <= rounds; i++) {
      ctx.log(
        `round ${i}/${rounds}: Huiyin, then the bare Worker, ${duration} s each at ${connections} connections`,
      );
      hyRounds.push(await load(hy.direct, duration, connections, (k) => `bench ${run} t ${k}`));
      bareRounds.push(await load(bare.direct, duration, connections, (k) => `bench ${run} t ${k}`));
    }
    const a = merge(hyRounds);
    const b = merge(bareRounds);
    // What D1 round trips cost on their own: the bare Worker with 2 and 4 sequential calls.
    const steps: { calls: number; phase: Phase }[] = [];
    for (const calls of [2, 4]) {
      ctx.log(`bare Worker with ${calls} sequential D1 calls: ${duration} s`);
      steps.push({
        calls,
        phase: await load(
          bare.direct,
          duration,
          connections,
          (k) => `bench ${run} t ${k}`,
          `/?calls=${calls}`,
        ),
      });
    }
    const stored = compare(hyState, `bench ${run} t `, a.acked);

    ctx.log(`retry phase: ${retrySubmissions} submissions, each re-sent 1–3 times`);
    const prefix = `bench ${run} r `;
    const retry = await retryPhase(hy.direct, retrySubmissions, connections, prefix);
    const retryStored = compare(hyState, prefix, retry.acked);

    const okRate = (p: Phase) => p.result["2xx"] / p.result.duration;
    const roundRatios = hyRounds.map((h, i) => ratio(okRate(h), okRate(bareRounds[i]!)));
    const r = median(roundRatios);
    const statusText = (m: Map<number | string, number>) =>
      [...m]
        .sort((p, q) => String(p[0]).localeCompare(String(q[0])))
        .map(([s, n]) => `${s}: ${int(n)}`)
        .join(", ");

    const main: Table = {
      caption: `Throughput, ${connections} connections, ${rounds} alternating rounds of ${duration} s per Worker, unique Idempotency-Key per request; ÷ bare is the median of the rounds' ratios (${roundRatios.map((v) => x(v)).join(", ")})`,
      head: ["Worker", "2xx/s", "p50", "p99", "responses", "errors/timeouts", "÷ bare"],
      rows: [
        [
          "Huiyin POST /api/v1/forms/demo/opinion/submissions",
          int(okRate(a)),
          ms(a.result.latency.p50, 0),
          ms(a.result.latency.p99, 0),
          statusText(a.statuses),
          `${a.result.errors}/${a.result.timeouts}`,
          x(r),
        ],
        [
          "bare Worker: parse JSON, one D1 insert",
          int(okRate(b)),
          ms(b.result.latency.p50, 0),
          ms(b.result.latency.p99, 0),
          statusText(b.statuses),
          `${b.result.errors}/${b.result.timeouts}`,
          "1.00×",
        ],
        ...steps.map(({ calls, phase }) => [
          `bare Worker, ${calls} sequential D1 calls (Huiyin makes ${HUIYIN_D1_CALLS}); not a budget`,
          int(okRate(phase)),
          ms(phase.result.latency.p50, 0),
          ms(phase.result.latency.p99, 0),
          statusText(phase.statuses),
          `${phase.result.errors}/${phase.result.timeouts}`,
          x(ratio(okRate(phase), okRate(b))),
        ]),
      ],
    };
    const integrity: Table = {
      caption: "Stored cases against acknowledged keys",
      head: [
        "phase",
        "submissions",
        "requests",
        "answers",
        "keys acknowledged",
        "cases stored",
        "lost",
        "duplicated",
        "stored, never acknowledged",
        "one key, two tracking codes",
      ],
      rows: [
        [
          "throughput (one send per key)",
          int(a.result["2xx"] + a.result.non2xx),
          int(a.result["2xx"] + a.result.non2xx),
          statusText(a.statuses),
          int(a.acked.size),
          int(stored.rows),
          int(stored.lost),
          int(stored.duplicated),
          int(stored.unacknowledged),
          "—",
        ],
        [
          "retries (1–3 re-sends per key, same body)",
          int(retry.submissions),
          int(retry.attempts),
          statusText(retry.statuses),
          int(retry.acked.size),
          int(retryStored.rows),
          int(retryStored.lost),
          int(retryStored.duplicated),
          int(retryStored.unacknowledged),
          int(retry.inconsistent),
        ],
      ],
    };
    const budgets: Budget[] = [
      {
        name: "submissions: Huiyin throughput ÷ bare Worker",
        limit: "≥ 0.70×",
        measured: x(r),
        status: r >= 0.7 ? "pass" : "fail",
      },
      {
        name: "submissions under retries: lost",
        limit: "0",
        measured: String(retryStored.lost + stored.lost),
        status: retryStored.lost + stored.lost === 0 ? "pass" : "fail",
      },
      {
        name: "submissions under retries: duplicated",
        limit: "0",
        measured: String(retryStored.duplicated + stored.duplicated),
        status: retryStored.duplicated + stored.duplicated === 0 ? "pass" : "fail",
      },
    ];
    const notes = [
      "**Method.** Both Workers run in local `wrangler dev` (workerd with the local D1 simulator, each on its own `--persist-to` state) with `BOT_CHECK=off` and `RATE_LIMIT=off`; autocannon posts the same JSON body shape to both (a suggestion with a name and a mobile number, so Huiyin also encrypts personal data), each request with a fresh Idempotency-Key and the key in the subject so that stored rows can be matched to keys. 2xx/s counts only successful answers. After a 3 s warm-up of each, the two Workers take turns (Huiyin, then the bare Worker, for as many rounds as `--rounds`) so that other work on a shared machine falls on both alike; the ratio is the median of the rounds' ratios, and the rows give the totals of all rounds.",
      '**Integrity.** "Stored, never acknowledged" in the throughput phase are the requests still in flight when autocannon stopped (one per connection): stored, but their answers were not read. In the retry phase every key is re-sent 1–3 times with the same body, the first re-send half of the time 0–20 ms after the original without waiting for it; the stored cases are then matched to the keys that got a 201. A duplicate never sees the first one in flight: the idempotency record is written in the same transaction as the case, so every duplicate gets the stored answer (`Idempotent-Replayed: true`) and never a 409.',
      "Local D1 is SQLite in the same workerd process, so every D1 call is cheap here and throughput is bounded by this machine's CPU; on Cloudflare each D1 call is a network round trip to the database's location and a Worker's throughput is not bounded by one machine. The ratio therefore measures the Worker's own work and its number of D1 calls, not production capacity.",
    ];
    return {
      title: "3. Submissions",
      tables: [main, integrity],
      budgets,
      notes,
      raw: {
        huiyin: a.result,
        bare: b.result,
        rounds: hyRounds.map((h, i) => ({
          huiyin: h.result,
          bare: bareRounds[i]!.result,
          ratio: roundRatios[i],
        })),
        bareCalls: Object.fromEntries(steps.map((st) => [st.calls, st.phase.result])),
        stored,
        retry: { ...retry, acked: retry.acked.size, statuses: Object.fromEntries(retry.statuses) },
        retryStored,
      },
    };
  } finally {
    for (const s of servers) await s.stop();
  }
}

function readSchema(): string {
  return readFileSync(join(BARE_DIR, "schema.sql"), "utf8");
}
