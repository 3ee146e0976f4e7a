/**
 * What a submission costs in D1 round trips (BENCHMARKS.md §3): a new one is a single batch; a
 * duplicate adds one read of the key's record. A regression here is a throughput regression.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../schema/db.ts";
import { findFormCached } from "../../schema/queries/forms.ts";
import { devEnv, seedDept, validOpinion } from "../../test/helpers.ts";
import { submit } from "./submit.ts";

/** The D1 binding with every round trip counted: a batch, an exec, or one statement run on its own. */
function countingD1(d1: D1Database) {
  const calls: string[] = [];
  const statement = (st: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(st, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => statement(value.apply(target, args));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return (...args: unknown[]) => {
            calls.push("statement");
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  const binding = new Proxy(d1, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (sql: string) => statement(value.call(target, sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          calls.push("batch");
          return value.call(target, statements);
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          calls.push("exec");
          return value.call(target, sql);
        };
      }
      return value.bind(target);
    },
  });
  return { binding, calls };
}

describe("D1 round trips of a submission", () => {
  beforeAll(async () => {
    await seedDept();
  });

  it("stores a new submission with one batch, and answers a duplicate with one more read", async () => {
    const form = (await findFormCached(createDb(env.DB), "demo", "opinion"))!;
    const { binding, calls } = countingD1(env.DB);
    const input = {
      answers: validOpinion({ name: "张三", contact: "13800138000" }),
      lang: "zh-CN" as const,
      idempotencyKey: crypto.randomUUID(),
      botToken: undefined,
      clientIp: "203.0.113.7",
    };
    const first = await submit(devEnv(), createDb(binding), form, input);
    expect(first.status).toBe(201);
    expect(first.replayed).toBe(false);
    expect(calls).toEqual(["batch"]);

    calls.length = 0;
    const again = await submit(devEnv(), createDb(binding), form, input);
    expect(again).toEqual({ ...first, replayed: true });
    expect(calls).toEqual(["batch", "statement"]);
  });
});
