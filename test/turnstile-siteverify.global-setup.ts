/**
 * vitest globalSetup (runs in Node, outside workerd): a local stand-in for Cloudflare Turnstile's
 * siteverify endpoint. It answers like the real one does for Cloudflare's documented test secrets
 * (https://developers.cloudflare.com/turnstile/troubleshooting/testing/):
 * `1x0000000000000000000000000000000AA` always passes, `2x0000000000000000000000000000000AA` always
 * fails, `3x0000000000000000000000000000000AA` answers "token already spent"; any other secret is
 * refused as `invalid-input-secret`. Tests read its URL with `inject("turnstileVerifyUrl")` and
 * point the Worker's TURNSTILE_VERIFY_URL at it, so the real outbound `fetch` of bot-check.ts runs.
 * `GET /requests` returns what it has received, so a test can check what the Worker sent;
 * `POST /unavailable` answers 503 with an HTML page, as during an outage.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import {
  TURNSTILE_FAIL_SECRET,
  TURNSTILE_PASS_SECRET,
  TURNSTILE_SPENT_SECRET,
} from "./turnstile-test-keys.ts";

declare module "vitest" {
  export interface ProvidedContext {
    turnstileVerifyUrl: string;
  }
}

interface Received {
  contentType: string;
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

export default async function setup(project: TestProject) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/requests") return send(200, received);
    if (req.method === "POST" && req.url === "/unavailable") {
      // An outage as a proxy in between shows it: an HTML error page, not siteverify's JSON.
      res.writeHead(503, { "content-type": "text/html" });
      return res.end("<html><body>503 Service Unavailable</body></html>");
    }
    if (req.method !== "POST" || req.url !== "/siteverify") return send(404, { error: "not found" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const contentType = req.headers["content-type"] ?? "";
    // The Worker posts multipart form data (a FormData body); urlencoded parses the same way here.
    const fields = await new Request("http://receiver/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: Buffer.concat(chunks),
    })
      .formData()
      .catch(() => new FormData());
    const get = (k: string) => {
      const v = fields.get(k);
      return typeof v === "string" ? v : null;
    };
    const entry = {
      contentType,
      secret: get("secret"),
      response: get("response"),
      remoteip: get("remoteip"),
    };
    received.push(entry);
    const now = new Date().toISOString();
    if (!entry.secret) return send(200, { success: false, "error-codes": ["missing-input-secret"] });
    if (!entry.response) return send(200, { success: false, "error-codes": ["missing-input-response"] });
    switch (entry.secret) {
      case TURNSTILE_PASS_SECRET:
        return send(200, {
          success: true,
          challenge_ts: now,
          hostname: "example.com",
          "error-codes": [],
          action: "",
          cdata: "",
        });
      case TURNSTILE_FAIL_SECRET:
        return send(200, { success: false, "error-codes": ["invalid-input-response"] });
      case TURNSTILE_SPENT_SECRET:
        return send(200, { success: false, "error-codes": ["timeout-or-duplicate"] });
      default:
        return send(200, { success: false, "error-codes": ["invalid-input-secret"] });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("turnstileVerifyUrl", `http://127.0.0.1:${port}/siteverify`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
