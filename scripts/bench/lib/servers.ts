/**
 * The servers a benchmark needs: `wrangler dev` for Huiyin and for the bare Worker (each in its own
 * process group and its own `--persist-to` state, so nothing touches the developer's local D1), and a
 * tiny static server for host pages, the bare framed form and the SurveyJS files.
 * Ports stay within 8800–8809 (other engineers run tests on this machine at the same time).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { ROOT } from "../../lib/d1.ts";

export const PORTS = {
  /** Huiyin as the browser sees it: a gzip proxy in front of `siteWorker` (as Cloudflare's edge compresses). */
  site: 8800,
  siteInspector: 8801,
  /** The bare one-insert Worker. */
  bare: 8802,
  bareInspector: 8803,
  /** The "department site" that embeds things (origin http://127.0.0.1:8804). */
  host: 8804,
  /** Another origin (http://localhost:8805): the bare 300-byte framed form. */
  other: 8805,
  /** Huiyin for the submission and inbox benchmarks (one at a time). */
  worker: 8806,
  workerInspector: 8807,
  /** Huiyin's `wrangler dev` behind the gzip proxy (weight, time to usable, CPU). */
  siteWorker: 8808,
} as const;

/**
 * The inbox benchmark runs one Worker per size side by side (the site fixture is stopped by then),
 * so that requests to the sizes can be interleaved: (port, inspector port) pairs.
 */
export const INBOX_PORTS: [number, number][] = [
  [8800, 8801],
  [8802, 8803],
  [8804, 8805],
  [8806, 8807],
  [8808, 8809],
];

export const BENCH_DIR = join(ROOT, ".bench");
export const STATE_ROOT = join(ROOT, ".wrangler/bench-state");
export const LOG_DIR = join(BENCH_DIR, "logs");

export interface WorkerServer {
  /** Origin a browser uses (localhost, mapped to 127.0.0.1 in Chromium). */
  origin: string;
  /** Origin Node-side clients use (127.0.0.1: Node may try ::1 first for localhost). */
  direct: string;
  inspectorPort: number;
  log: string;
  stop(): Promise<void>;
}

export interface StartWorkerOptions {
  name: string;
  /** wrangler config; default the project's wrangler.toml. */
  config?: string;
  port: number;
  inspectorPort: number;
  persistTo: string;
  vars?: Record<string, string>;
  /** A path that answers once the Worker is up. */
  readyPath?: string;
}

/** Every `wrangler dev` this process started and has not stopped yet (for Ctrl-C). */
const running = new Set<() => Promise<void>>();

/** Stops every Worker still running (used when the benchmark is interrupted). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** Starts `wrangler dev` and resolves once `readyPath` answers. */
export async function startWorker(o: StartWorkerOptions): Promise<WorkerServer> {
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(o.persistTo, { recursive: true });
  const log = join(LOG_DIR, `${o.name}.log`);
  const fd = openSync(log, "w");
  const args = [
    "dev",
    ...(o.config ? ["--config", o.config] : []),
    "--port",
    String(o.port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(o.inspectorPort),
    "--persist-to",
    o.persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  for (const [k, v] of Object.entries(o.vars ?? {})) args.push("--var", `${k}:${v}`);
  const child = spawn(join(ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: ROOT,
    stdio: ["ignore", fd, fd],
    detached: true, // its own process group: stopping it also stops its workerd
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
  });
  closeSync(fd);
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
  });
  const direct = `http://127.0.0.1:${o.port}`;
  const stop = async () => {
    running.delete(stop);
    await stopGroup(child);
  };
  running.add(stop);
  const server: WorkerServer = {
    origin: `http://localhost:${o.port}`,
    direct,
    inspectorPort: o.inspectorPort,
    log,
    stop,
  };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`wrangler dev (${o.name}) exited with ${exited}:\n${tail(log)}`);
    }
    try {
      const res = await fetch(`${direct}${o.readyPath ?? "/"}`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status < 500) return server;
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  await server.stop();
  throw new Error(`wrangler dev (${o.name}) did not answer within 120 s:\n${tail(log)}`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the group we created: wrangler and its workerd, nothing else
    } catch {
      // already gone
    }
  };
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await done;
  clearTimeout(timer);
  signal("SIGKILL"); // a workerd left behind in the group
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface StaticRoute {
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const COMPRESSIBLE = /^(text\/|application\/(json|javascript)|image\/svg)/;
const wantsGzip = (req: IncomingMessage) => /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));

/**
 * Serves fixed routes (path → body), gzipped (-9) when the browser accepts it, as any CDN or
 * Cloudflare would. Unknown paths are 404.
 */
export function serveStatic(port: number, routes: Map<string, StaticRoute>): Promise<Server> {
  const gz = new Map<string, Buffer>();
  for (const [path, r] of routes) if (COMPRESSIBLE.test(r.type)) gz.set(path, gzipSync(r.body, { level: 9 }));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const zipped = wantsGzip(req) ? gz.get(path) : undefined;
    res.writeHead(200, {
      "content-type": route.type,
      "cache-control": "no-store",
      "access-control-allow-origin": "*",
      vary: "accept-encoding",
      ...(zipped ? { "content-encoding": "gzip" } : {}),
      ...route.headers,
    });
    res.end(zipped ?? route.body);
  });
  return listen(server, port);
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/**
 * A reverse proxy that gzips (-9) text responses for browsers that accept it. Cloudflare compresses
 * at the edge; `wrangler dev` sends bodies as they are, which would overstate the bytes on a slow link.
 */
export function gzipProxy(port: number, target: number): Promise<Server> {
  const server = createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers["accept-encoding"];
    const up = request(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on("data", (c: Buffer) => chunks.push(c));
        upRes.on("end", () => {
          let body: Buffer = Buffer.concat(chunks);
          const out = { ...upRes.headers };
          delete out["transfer-encoding"];
          delete out.connection;
          if (
            wantsGzip(req) &&
            !out["content-encoding"] &&
            COMPRESSIBLE.test(String(out["content-type"] ?? "")) &&
            body.length > 0
          ) {
            body = gzipSync(body, { level: 9 });
            out["content-encoding"] = "gzip";
          }
          out["content-length"] = String(body.length);
          res.writeHead(upRes.statusCode ?? 502, out).end(body);
        });
      },
    );
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  return listen(server, port);
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
