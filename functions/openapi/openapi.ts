/** The OpenAPI 3.1 description of every public and staff route (placeholder filled in below). */
export function openapiDocument(origin: string) {
  return {
    openapi: "3.1.0",
    info: { title: "Huiyin API", version: "1" },
    servers: [{ url: origin }],
    paths: {},
  };
}
