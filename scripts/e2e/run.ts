/**
 * `npm run e2e`: citizens in a real browser. Self-contained: builds the client, migrates and seeds a
 * fresh D1 state of its own (.wrangler/e2e-state, never the developer's local D1), starts
 * `wrangler dev` with the local-development variables on the command line, serves a hostile
 * "department site" on another origin, runs scripts/e2e/*.e2e.ts with node's test runner against them
 * in headless Chromium, and always stops its servers. Exits non-zero when a test fails.
 *
 * Ports: the first free triple from 8790 (Worker, department site, inspector); E2E_PORT picks the
 * Worker's port. E2E_KEEP_LOG=1 prints the Worker's log even when every test passes.
 *   npm run e2e -- a11y network   runs only the files whose names contain one of the words
 *   npm run e2e -- --serve        starts the servers and keeps them up (for writing tests)
 * Needs Debian's Chromium at /usr/bin/chromium (CHROMIUM_PATH overrides); Playwright's download
 * is not used. A CJK font (fonts-noto-cjk) makes the screenshots and measurements those of a phone.
 */

import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import type { Server } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { randomSecret, toBase64 } from "../../functions/lib/crypto.ts";
import { CHROMIUM } from "../lib/chromium.ts";
import { ROOT } from "../lib/d1.ts";
import { serveHostSite } from "../lib/host-site.ts";

const started = Date.now();
const E2E_DIR = join(ROOT, "scripts/e2e");
const STATE = join(ROOT, ".wrangler/e2e-state");
const LOG = join(ROOT, ".wrangler/e2e-wrangler.log");
const EMPTY_ENV = join(ROOT, ".wrangler/e2e.env");

const step = (msg: string) => console.log(`e2e: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function pickPorts(): Promise<[number, number, number]> {
  const wanted = process.env.E2E_PORT ? [Number(process.env.E2E_PORT)] : [8790, 8793, 8796];
  for (const base of wanted) {
    const ports = [base, base + 1, base + 2] as const;
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return [...ports];
  }
  throw new Error(`no free ports for the e2e servers (tried ${wanted.join(", ")} and the two after each)`);
}

let worker: ChildProcess | undefined;
let host: Server | undefined;

/** Stops what this script started: the wrangler process group (wrangler and its workerd), the site. */
async function stopServers(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w?.pid && w.exitCode === null && w.signalCode === null) {
    const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-w.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    kill("SIGKILL"); // any workerd left behind in the group
  }
  const h = host;
  host = undefined;
  if (h) await new Promise<void>((resolve) => h.close(() => resolve()));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    void stopServers().finally(() => process.exit(130));
  });
}

async function startWorker(port: number, inspectorPort: number): Promise<string> {
  const vars = {
    ENVIRONMENT: "development",
    BOT_CHECK: "off",
    RATE_LIMIT: "off",
    DATA_KEY: toBase64(crypto.getRandomValues(new Uint8Array(32))),
    ALTCHA_HMAC_KEY: randomSecret(32),
  };
  // An explicit, empty env file keeps wrangler from reading the developer's .dev.vars: the variables
  // come from the command line only.
  writeFileSync(EMPTY_ENV, "");
  const log = openSync(LOG, "w");
  worker = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      STATE,
      "--env-file",
      EMPTY_ENV,
      "--show-interactive-dev-session=false",
      "--live-reload=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    {
      cwd: ROOT,
      detached: true, // its own process group, so that stopping it also stops workerd
      stdio: ["ignore", log, log],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    },
  );
  closeSync(log);
  const origin = `http://localhost:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (worker.exitCode !== null) throw new Error(`wrangler dev exited (${worker.exitCode})`);
    try {
      const res = await fetch(`${origin}/embed.js`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return origin;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("wrangler dev did not answer within 90 s");
}

/** `npm run e2e -- embed a11y` runs only the files whose names contain one of the words. */
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));

function runTests(env: Record<string, string>): Promise<number> {
  const files = readdirSync(E2E_DIR)
    .filter((f) => f.endsWith(".e2e.ts"))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => join(E2E_DIR, f));
  if (files.length === 0) throw new Error(`no scripts/e2e/*.e2e.ts matches ${only.join(", ")}`);
  const child = spawn(
    process.execPath,
    ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } },
  );
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

let code = 1;
let testsRan = false;
try {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  const [port, sitePort, inspectorPort] = await pickPorts();
  await import("../build-client.ts");

  mkdirSync(join(ROOT, ".wrangler"), { recursive: true }); // a fresh clone has none yet
  rmSync(STATE, { recursive: true, force: true });
  process.env.HUIYIN_PERSIST_TO = STATE;
  const { seed } = await import("../seed.ts");
  seed();
  step(`fresh D1 migrated and seeded in ${STATE}`);

  const workerOrigin = `http://localhost:${port}`;
  host = await serveHostSite(sitePort, workerOrigin, { probe: true });
  await startWorker(port, inspectorPort);
  step(`Worker on ${workerOrigin} (log: ${LOG}), department site on http://127.0.0.1:${sitePort}`);

  if (process.argv.includes("--serve")) {
    // For writing tests: keep the servers up (Ctrl-C stops them), with these values in the environment.
    console.log(
      `E2E_WORKER=${workerOrigin} E2E_HOST=http://127.0.0.1:${sitePort} HUIYIN_PERSIST_TO=${STATE}`,
    );
    await new Promise(() => {});
  }
  testsRan = true;
  code = await runTests({
    E2E_WORKER: workerOrigin,
    E2E_HOST: `http://127.0.0.1:${sitePort}`,
    HUIYIN_PERSIST_TO: STATE,
  });
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  await stopServers();
}
// Once the tests ran, their summary stays the last thing printed; the Worker's log is in LOG.
if (!testsRan || process.env.E2E_KEEP_LOG) {
  try {
    console.error(`--- wrangler dev log (${LOG}) ---\n${readFileSync(LOG, "utf8").slice(-8000)}`);
  } catch {
    /* no log */
  }
}
process.exit(code);
