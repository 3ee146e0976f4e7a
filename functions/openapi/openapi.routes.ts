import { Hono } from "hono";
import type { AppEnv } from "../lib/env.ts";
import { openapiDocument } from "./openapi.ts";

export const openapiRoutes = new Hono<AppEnv>();

openapiRoutes.get("/openapi.json", (c) => {
  c.header("Cache-Control", "public, max-age=300");
  return c.json(openapiDocument(new URL(c.req.url).origin));
});
