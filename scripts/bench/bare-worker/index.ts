/**
 * The bare Worker the submission benchmark compares Huiyin with: parse the JSON body, one D1 insert,
 * answer 201. No validation, no idempotency, no encryption: the floor of "a Worker that stores a row".
 * `?calls=N` makes N sequential D1 round trips instead (N-1 primary-key reads, then the insert), to
 * show what each extra D1 call costs on its own.
 */
interface D1Like {
  prepare(sql: string): {
    bind(...values: unknown[]): { run(): Promise<unknown>; first(): Promise<unknown> };
  };
}

export default {
  async fetch(request: Request, env: { DB: D1Like }): Promise<Response> {
    if (request.method !== "POST") return new Response("ok");
    const { answers } = (await request.json()) as { answers: { subject?: string; body?: string } };
    const id = crypto.randomUUID();
    const calls = Math.min(Math.max(Number(new URL(request.url).searchParams.get("calls") ?? 1), 1), 10);
    for (let i = 1; i < calls; i++) {
      await env.DB.prepare("SELECT id FROM submissions WHERE id = ?").bind(id).first();
    }
    await env.DB.prepare(
      "INSERT INTO submissions (id, idempotency_key, subject, body, answers, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
      .bind(
        id,
        request.headers.get("idempotency-key") ?? "",
        String(answers.subject ?? ""),
        String(answers.body ?? ""),
        JSON.stringify(answers),
        Date.now(),
      )
      .run();
    return Response.json({ id }, { status: 201 });
  },
};
