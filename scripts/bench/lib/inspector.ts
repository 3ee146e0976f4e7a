/**
 * The V8 CPU profiler of the Worker's isolate, through the DevTools inspector that `wrangler dev`
 * exposes (--inspector-port). Used to measure CPU time per request inside the Worker: timers cannot
 * do it (see cpu.ts).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

// Node's WebSocket (undici) takes request headers as a non-standard second argument; wrangler's
// inspector proxy refuses an upgrade without an allowed Origin.
type WebSocketWithHeaders = new (url: string, init: { headers: Record<string, string> }) => WebSocket;

export class Inspector {
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<number, (msg: { result?: unknown; error?: { message: string } }) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (msg.id !== undefined) {
        this.#pending.get(msg.id)?.(msg);
        this.#pending.delete(msg.id);
      }
    };
  }

  static async connect(port: number): Promise<Inspector> {
    const ws = new (WebSocket as unknown as WebSocketWithHeaders)(`ws://127.0.0.1:${port}/ws`, {
      headers: { origin: "http://localhost" },
    });
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to the inspector on port ${port}`));
    });
    return new Inspector(ws);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#id;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector`)), 30_000);
      this.#pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result as T);
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Profiles `fn`; returns its result and the profile. */
  async profile<T>(fn: () => Promise<T>): Promise<{ value: T; profile: CpuProfile }> {
    await this.send("Profiler.start");
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      await this.send("Profiler.stop").catch(() => {}); // or the next start is refused
      throw error;
    }
    const { profile } = await this.send<{ profile: CpuProfile }>("Profiler.stop");
    return { value, profile };
  }

  close(): void {
    this.#ws.close();
  }
}

/**
 * Longest interval between two samples that still counts as running. V8 takes samples only while the
 * isolate executes (every ~0.1 ms here, whatever interval is asked for), so a wait for I/O, or the
 * thread being descheduled by other work on the machine, shows up as one long interval; those are left
 * out. Each such gap can hide at most one sampling period of CPU (≈0.1 ms).
 */
const RUNNING_GAP_US = 500;

/** CPU milliseconds in a profile: the intervals between consecutive samples while the isolate ran. */
export function cpuMs(p: CpuProfile): number {
  const names = new Map(p.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let us = 0;
  for (let i = 1; i < p.samples.length; i++) {
    const d = p.timeDeltas[i]!;
    if (d > RUNNING_GAP_US || names.get(p.samples[i]!) === "(idle)") continue;
    us += d;
  }
  return us / 1000;
}

/** The functions that took the most CPU in a set of profiles (self time), for the report. */
export function hotFunctions(profiles: CpuProfile[], top = 8): { name: string; ms: number }[] {
  const self = new Map<string, number>();
  for (const p of profiles) {
    const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    for (let i = 1; i < p.samples.length; i++) {
      const d = p.timeDeltas[i]!;
      const f = frames.get(p.samples[i]!);
      if (!f || d > RUNNING_GAP_US || f.functionName === "(idle)") continue;
      const file = f.url.split("/").pop() ?? "";
      const name = `${f.functionName || "(anonymous)"}${file ? ` ${file}` : ""}`;
      self.set(name, (self.get(name) ?? 0) + d / 1000);
    }
  }
  return [...self]
    .map(([name, ms]) => ({ name, ms: ms / profiles.length }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}
