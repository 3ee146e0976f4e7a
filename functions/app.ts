/**
 * The one app factory: request ids, the error shape, security headers, the drizzle client and the
 * routers. The Worker and the tests both use it.
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createDb } from "../schema/db.ts";
import { adminRoutes } from "./admin/admin.routes.ts";
import { adminErrorPage } from "./admin/admin-layout.tsx";
import { adminCasesRoutes } from "./cases/admin-cases.routes.ts";
import type { AppEnv } from "./lib/env.ts";
import { AppError, errorBody } from "./lib/errors.ts";
import { pickLang } from "./lib/lang.ts";
import { API_CSP, BASE_HEADERS } from "./lib/security-headers.ts";
import { openapiRoutes } from "./openapi/openapi.routes.ts";
import { publicApiRoutes } from "./public/public-api.routes.ts";
import { citizenErrorPage } from "./widget/layout.tsx";
import { widgetRoutes } from "./widget/widget.routes.tsx";

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    c.set("db", createDb(c.env.DB));
    c.set("lang", pickLang(c.req.query("lang"), c.req.header("accept-language")));
    await next();
    for (const [k, v] of Object.entries(BASE_HEADERS)) c.res.headers.set(k, v);
    if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", API_CSP);
    c.res.headers.set("X-Request-Id", c.get("requestId"));
  });

  app.get("/", (c) => c.redirect("/echo/demo", 302));
  app.get("/healthz", (c) => c.json({ ok: true }));

  app.route("/", widgetRoutes);
  app.route("/api/v1", publicApiRoutes);
  app.route("/api/v1/admin", adminCasesRoutes);
  app.route("/api/v1", openapiRoutes);
  app.route("/admin", adminRoutes);

  app.notFound((c) => errorResponse(c, new AppError("not_found", "没有这个地址", "No such route")));

  app.onError((error, c) => {
    const requestId = c.get("requestId") ?? crypto.randomUUID();
    let err: AppError;
    if (error instanceof AppError) err = error;
    else if (error instanceof HTTPException && error.status < 500) {
      err = new AppError("bad_request", "请求有误", error.message || "Bad request");
    } else {
      // Never a stack trace to the user; the request id ties the log line to the response.
      console.error(JSON.stringify({ requestId, error: String(error), stack: (error as Error).stack }));
      err = new AppError("internal", "服务暂时出错，请稍后再试", "Internal error, please try again later");
    }
    return errorResponse(c, err);
  });

  return app;
}

/** One error, in the form its audience reads: a staff page, a citizen's page, or the JSON shape. */
function errorResponse(c: Context<AppEnv>, err: AppError): Response {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  const path = c.req.path;
  const res = path.startsWith("/admin")
    ? adminErrorPage(err, requestId)
    : /^\/(w|t|echo)(\/|$)/.test(path)
      ? citizenErrorPage(err, c.get("lang") ?? "zh-CN", requestId)
      : c.json(errorBody(err, requestId), err.status);
  for (const [k, v] of Object.entries(err.headers ?? {})) res.headers.set(k, v);
  return res;
}
