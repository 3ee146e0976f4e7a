import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./schema/migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          // Every variable is set here so that a developer's .dev.vars (which the pool also reads)
          // cannot change what the tests see: the production posture unless a test switches it off.
          ENVIRONMENT: "test",
          BOT_CHECK: "altcha",
          RATE_LIMIT: "on",
          DATA_KEY: "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMTIzNDU=",
          ALTCHA_HMAC_KEY: "test-altcha-hmac-key",
          TURNSTILE_SECRET: "1x0000000000000000000000000000000AA",
          TURNSTILE_SITE_KEY: "1x00000000000000000000AA",
        },
      },
    }),
  ],
  test: {
    include: ["functions/**/*.test.ts", "schema/**/*.test.ts", "forms/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    // Node-side servers the Worker under test calls out to (a Turnstile siteverify stand-in).
    globalSetup: ["./test/turnstile-siteverify.global-setup.ts"],
  },
});
