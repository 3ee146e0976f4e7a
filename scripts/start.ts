/**
 * `npm start`: Huiyin locally on its embedded default. Writes .dev.vars for local development
 * (bot check and rate limit off unless you switch them on there), migrates and seeds the local D1,
 * serves the Worker on http://localhost:8787 (PORT overrides) and a plain "department site" that
 * embeds the widget from another origin on PORT+1, and prints the URLs.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomSecret, toBase64 } from "../functions/lib/crypto.ts";
import { ROOT } from "./lib/d1.ts";
import { serveHostSite } from "./lib/host-site.ts";
import { seed } from "./seed.ts";

const port = Number(process.env.PORT ?? 8787);
const sitePort = port + 1;
const devVars = join(ROOT, ".dev.vars");

if (!existsSync(devVars)) {
  writeFileSync(
    devVars,
    [
      "# Local development only (never deployed). Switch protections on with BOT_CHECK=altcha and RATE_LIMIT=on.",
      "ENVIRONMENT=development",
      "BOT_CHECK=off",
      "RATE_LIMIT=off",
      `DATA_KEY=${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`,
      `ALTCHA_HMAC_KEY=${randomSecret(32)}`,
      "",
    ].join("\n"),
  );
}

await import("./build-client.ts");
seed();

const origin = `http://localhost:${port}`;
await serveHostSite(sitePort, origin);

const dev = spawn(
  join(ROOT, "node_modules/.bin/wrangler"),
  [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    // The same local state the seed above wrote to (scripts/lib/d1.ts).
    ...(process.env.HUIYIN_PERSIST_TO ? ["--persist-to", process.env.HUIYIN_PERSIST_TO] : []),
  ],
  {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  },
);
let announced = false;
dev.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(chunk.toString())) {
    announced = true;
    const mode = readFileSync(devVars, "utf8").match(/^BOT_CHECK=(.*)$/m)?.[1] ?? "altcha";
    console.log(`
  Huiyin (回音) is running locally — bot check: ${mode}

  Opinion box widget   ${origin}/w/demo/opinion
  Satisfaction (soon)  ${origin}/w/demo/satisfaction
  Disclosure (soon)    ${origin}/w/demo/disclosure
  Echo wall            ${origin}/echo/demo
  Track a message      ${origin}/t
  embed.js             ${origin}/embed.js
  Department site      http://127.0.0.1:${sitePort}/        (embeds the widget with one script tag)
  …as a button         http://127.0.0.1:${sitePort}/button
  …as a plain iframe   http://127.0.0.1:${sitePort}/iframe  (embed.js only sizes it)
  API description      ${origin}/api/v1/openapi.json
  Trigger cron         ${origin}/__scheduled

  Staff API token:     npm run admin -- user:create demo you@example.org handler
                       npm run admin -- token:create you@example.org
`);
  }
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
