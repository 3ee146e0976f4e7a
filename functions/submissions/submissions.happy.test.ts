import { beforeEach, describe, expect, it } from "vitest";
import { countRows, seedDept, submitOpinion, validOpinion } from "../../test/helpers.ts";

describe("POST /api/v1/forms/:dept/:form/submissions", () => {
  beforeEach(async () => {
    await seedDept();
  });

  it("stores an opinion and answers 201 with a tracking code", async () => {
    const { res, body } = await submitOpinion(
      validOpinion({ name: "张三", contact: "138 0013 8000", publish: true }),
    );
    expect(res.status).toBe(201);
    expect(body.status).toBe("received");
    expect(body.trackingCode).toMatch(/^[2-9A-HJ-NP-Z]{12}$/);
    expect(await countRows("cases")).toBe(1);
  });
});
