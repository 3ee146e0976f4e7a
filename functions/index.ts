import { createApp } from "./app.ts";
import type { Env } from "./lib/env.ts";
import { runScheduled } from "./scheduled/scheduled.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime, controller.cron));
  },
} satisfies ExportedHandler<Env>;
