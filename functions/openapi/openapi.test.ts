import { describe, expect, it } from "vitest";
import { call } from "../../test/helpers.ts";
import { createApp } from "../app.ts";
import type { HttpMethod, OpenApiDocument, ParameterObject, ReferenceObject } from "./openapi.ts";

const METHODS: HttpMethod[] = ["get", "post", "put", "patch", "delete"];

async function fetchDocument(): Promise<{ res: Response; doc: OpenApiDocument }> {
  const res = await call("/api/v1/openapi.json");
  return { res, doc: (await res.json()) as OpenApiDocument };
}

/** Hono's `/a/:b` (or `/a/:b{regex}`, `/a/:b?`) as an OpenAPI path template `/a/{b}`. */
function toTemplate(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}");
}

/** Every `$ref` anywhere in a JSON value. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

function resolve(doc: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split("/")) {
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

function operations(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ path, method, op: item[method]! }] : [])),
  );
}

describe("GET /api/v1/openapi.json", () => {
  it("serves an OpenAPI 3.1 document with this deployment as its server", async () => {
    const { res, doc } = await fetchDocument();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toContain("max-age");
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toContain("Huiyin");
    expect(doc.info.version).toBeTruthy();
    expect(doc.servers).toEqual([{ url: "http://localhost" }]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\//);
  });

  it("resolves every $ref inside the document", async () => {
    const { doc } = await fetchDocument();
    const refs = [...new Set(refsIn(doc))];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it("gives each operation a unique id, responses and a declared parameter per path variable", async () => {
    const { doc } = await fetchDocument();
    const ids = new Set<string>();
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-zA-Z]+$/);
      expect(ids.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, where).toBeTruthy();
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const status of Object.keys(op.responses)) expect(status, where).toMatch(/^[1-5]\d\d$/);
      const declared = (op.parameters ?? [])
        .map((p) => ("$ref" in p ? (resolve(doc, (p as ReferenceObject).$ref) as ParameterObject) : p))
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect(declared, where).toEqual(inTemplate);
    }
  });

  it("describes the staff API with bearer security, the staff pages with the session, and the event oneOf", async () => {
    const { doc } = await fetchDocument();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie" });
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (path.startsWith("/api/v1/admin/")) {
        expect(op.security, where).toEqual([{ bearerAuth: [] }]);
        expect(op.responses["401"], where).toBeDefined();
      } else if ((path === "/admin" || path.startsWith("/admin/")) && path !== "/admin/login") {
        expect(op.security, where).toEqual([{ sessionCookie: [] }]);
        expect(op.responses[method === "get" ? "303" : "401"], where).toBeDefined();
      } else expect(op.security, where).toBeUndefined();
    }
    const event = doc.components.schemas.CaseEvent!;
    expect(event.oneOf?.length).toBe(5);
    expect(Object.keys(event.discriminator?.mapping ?? {}).sort()).toEqual(
      ["assigned", "closed", "published", "replied", "unpublished"].sort(),
    );
  });

  it("describes the submission endpoint's bodies, key header and every documented status", async () => {
    const { doc } = await fetchDocument();
    const op = doc.paths["/api/v1/forms/{dept}/{form}/submissions"]!.post!;
    expect(Object.keys(op.requestBody!.content).sort()).toEqual([
      "application/json",
      "application/x-www-form-urlencoded",
    ]);
    const params = (op.parameters ?? []).map((p) =>
      "$ref" in p ? (resolve(doc, (p as ReferenceObject).$ref) as ParameterObject) : p,
    );
    expect(params.find((p) => p.name === "Idempotency-Key")?.in).toBe("header");
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(["201", "400", "403", "404", "409", "413", "415", "422", "429"]),
    );
  });

  it("has the component schemas of the error shape and the public and staff bodies", async () => {
    const { doc } = await fetchDocument();
    for (const name of [
      "Error",
      "FieldIssue",
      "SubmissionResponse",
      "FormDefinition",
      "Question",
      "TrackResponse",
      "EchoWallPage",
      "CaseSummary",
      "CaseDetail",
      "CaseEvent",
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const error = doc.components.schemas.Error!.properties!.error!;
    expect(error.required).toEqual(["code", "message", "messageEn", "requestId"]);
    expect(Object.keys(error.properties!)).toEqual(["code", "message", "messageEn", "issues", "requestId"]);
  });

  it("matches a real error body: code in the enum, exactly the documented keys", async () => {
    const { doc } = await fetchDocument();
    const res = await call("/api/v1/track/ZZZZ-ZZZZ-ZZZZ");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: Record<string, unknown> };
    const error = doc.components.schemas.Error!.properties!.error!;
    expect(error.properties!.code!.enum).toContain(body.error.code);
    for (const key of Object.keys(body.error)) expect(Object.keys(error.properties!)).toContain(key);
  });
});

describe("route coverage", () => {
  it("documents every route the app registers (add a route, describe it in openapi.ts)", async () => {
    const { doc } = await fetchDocument();
    const routes = createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path !== "/")
      .map((r) => ({ method: r.method.toLowerCase(), path: toTemplate(r.path) }));
    expect(routes.length).toBeGreaterThan(10);
    // A route with middleware appears once per handler: report each method and path once.
    const missing = [
      ...new Set(
        routes
          .filter((r) => !doc.paths[r.path]?.[r.method as HttpMethod])
          .map((r) => `${r.method.toUpperCase()} ${r.path}`),
      ),
    ];
    expect(missing, "routes without an OpenAPI description").toEqual([]);
  });

  it("documents no route the app does not have", async () => {
    const { doc } = await fetchDocument();
    const registered = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${toTemplate(r.path)}`),
    );
    const ghosts = operations(doc)
      .map(({ method, path }) => `${method} ${path}`)
      .filter((k) => !registered.has(k));
    expect(ghosts, "documented but not registered").toEqual([]);
  });

  it("converts Hono path parameters to OpenAPI templates", () => {
    expect(toTemplate("/w/:dept/:form")).toBe("/w/{dept}/{form}");
    expect(toTemplate("/a/:id{[0-9]+}/b")).toBe("/a/{id}/b");
    expect(toTemplate("/a/:id?")).toBe("/a/{id}");
  });
});
