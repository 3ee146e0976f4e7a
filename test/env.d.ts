import type { Env as HuiyinEnv } from "../functions/lib/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends HuiyinEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
}
