/**
 * The "site" fixture shared by the weight and time-to-usable benchmarks: Huiyin in `wrangler dev` with
 * the production posture for citizens (proof-of-work bot check on), behind a gzip proxy, plus the
 * department's host pages and another origin with the bare form. Also the bench Workers' variables and
 * the seeded cases other benchmarks use.
 */
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import {
  type BenchTokens,
  bootstrapDemo,
  createBenchStaff,
  insertCasesSqlite,
  openSqlite,
  opinionFormId,
  statePath,
} from "./d1.ts";
import { hostPages, otherOriginRoutes } from "./pages.ts";
import { closeServer, gzipProxy, PORTS, serveStatic, startWorker, type WorkerServer } from "./servers.ts";

export interface Site {
  /** Huiyin's origin for the browser (through the gzip proxy). */
  worker: string;
  /** Huiyin's `wrangler dev` itself, for Node-side clients. */
  direct: string;
  /** The department site (host pages). */
  host: string;
  surveyjs: boolean;
  stop(): Promise<void>;
}

/** Variables for a bench Worker: never the developer's .dev.vars secrets, fresh keys every run. */
export function benchVars(over: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: "development",
    BOT_CHECK: "altcha",
    RATE_LIMIT: "off",
    DATA_KEY: randomBytes(32).toString("base64"),
    ALTCHA_HMAC_KEY: randomBytes(32).toString("base64url"),
    ...over,
  };
}

/** Seeded cases (rev 'seed') in a state, topped up to at least `n`. Call while no Worker runs on it. */
export function ensureCases(persistTo: string, n: number): BenchTokens {
  const db = openSqlite(persistTo);
  try {
    const tokens = createBenchStaff(db);
    const have = (db.prepare("SELECT count(*) AS c FROM cases WHERE rev = 'seed'").get() as { c: number }).c;
    if (have < n) {
      insertCasesSqlite(db, {
        formId: opinionFormId(db),
        from: have,
        to: n,
        newest: Date.now() - 3_600_000,
        stepMs: 3_600_000,
        tag: "BC",
      });
    }
    return tokens;
  } finally {
    db.close();
  }
}

export async function startSite(): Promise<Site> {
  const persistTo = statePath("site");
  bootstrapDemo(persistTo);
  const servers: Server[] = [];
  let worker: WorkerServer | undefined;
  try {
    worker = await startWorker({
      name: "site",
      port: PORTS.siteWorker,
      inspectorPort: PORTS.siteInspector,
      persistTo,
      vars: benchVars(),
      readyPath: "/healthz",
    });
    servers.push(await gzipProxy(PORTS.site, PORTS.siteWorker));
    const pages = hostPages(`http://localhost:${PORTS.site}`, `http://localhost:${PORTS.other}`);
    servers.push(await serveStatic(PORTS.host, pages.routes));
    servers.push(await serveStatic(PORTS.other, otherOriginRoutes()));
    const w = worker;
    return {
      worker: `http://localhost:${PORTS.site}`,
      direct: w.direct,
      host: `http://127.0.0.1:${PORTS.host}`,
      surveyjs: pages.surveyjs,
      stop: async () => {
        await Promise.all(servers.map(closeServer));
        await w.stop();
      },
    };
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    await worker?.stop();
    throw error;
  }
}
