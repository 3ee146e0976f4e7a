/**
 * The opinion lifecycle (DESIGN §2): received → assigned → replied → closed, with publication on the
 * echo wall as a flag that needs the citizen's consent and a reply. Every state × event is listed.
 */
import { describe, expect, it } from "vitest";
import { type Decision, decideOpinion, type OpinionEvent, type OpinionSnapshot } from "./opinion-machine.ts";

const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const ACTOR = "user-actor";

const snap = (state: string, over: Partial<OpinionSnapshot> = {}): OpinionSnapshot => ({
  state,
  consentPublish: false,
  published: false,
  assigneeId: state === "received" ? null : "user-handler",
  ...over,
});

const assign: OpinionEvent = { type: "assigned", assigneeId: "user-new" };
const reply: OpinionEvent = { type: "replied", text: "已联系供电公司，路灯已修复。" };
const publish: OpinionEvent = { type: "published" };
const unpublish: OpinionEvent = { type: "unpublished" };
const close: OpinionEvent = { type: "closed" };

type Expected = { patch: Extract<Decision, { ok: true }>["patch"] } | { refused: RegExp };

describe("decideOpinion", () => {
  const cases: [what: string, current: OpinionSnapshot, event: OpinionEvent, expected: Expected][] = [
    // assigned: from received, or again from assigned (re-assignment); never after the reply.
    [
      "assign a received case",
      snap("received"),
      assign,
      { patch: { state: "assigned", assigneeId: "user-new" } },
    ],
    [
      "re-assign an assigned case",
      snap("assigned"),
      assign,
      { patch: { state: "assigned", assigneeId: "user-new" } },
    ],
    ["assign a replied case", snap("replied"), assign, { refused: /replied/ }],
    ["assign a closed case", snap("closed"), assign, { refused: /closed/ }],
    // replied: from received (the replier becomes the assignee) or assigned (the assignee stays).
    [
      "reply to a received case: the replier becomes the assignee",
      snap("received"),
      reply,
      {
        patch: {
          state: "replied",
          replyText: "已联系供电公司，路灯已修复。",
          repliedAt: NOW,
          assigneeId: ACTOR,
        },
      },
    ],
    [
      "reply to an assigned case: the assignee stays",
      snap("assigned"),
      reply,
      { patch: { state: "replied", replyText: "已联系供电公司，路灯已修复。", repliedAt: NOW } },
    ],
    ["reply twice", snap("replied"), reply, { refused: /replied/ }],
    ["reply to a closed case", snap("closed"), reply, { refused: /closed/ }],
    // published: needs consent, a reply (replied or closed), and not already published.
    [
      "publish a received case with consent",
      snap("received", { consentPublish: true }),
      publish,
      { refused: /reply/ },
    ],
    [
      "publish an assigned case with consent",
      snap("assigned", { consentPublish: true }),
      publish,
      { refused: /reply/ },
    ],
    [
      "publish a replied case with consent",
      snap("replied", { consentPublish: true }),
      publish,
      { patch: { published: true, publishedAt: NOW } },
    ],
    [
      "publish a closed case with consent",
      snap("closed", { consentPublish: true }),
      publish,
      { patch: { published: true, publishedAt: NOW } },
    ],
    ["publish a received case without consent", snap("received"), publish, { refused: /consent/ }],
    ["publish an assigned case without consent", snap("assigned"), publish, { refused: /consent/ }],
    ["publish a replied case without consent", snap("replied"), publish, { refused: /consent/ }],
    ["publish a closed case without consent", snap("closed"), publish, { refused: /consent/ }],
    [
      "publish a replied case twice",
      snap("replied", { consentPublish: true, published: true }),
      publish,
      { refused: /already published/ },
    ],
    [
      "publish a closed case twice",
      snap("closed", { consentPublish: true, published: true }),
      publish,
      { refused: /already published/ },
    ],
    // unpublished: whenever the case is published, whatever the state or consent.
    [
      "unpublish a published replied case",
      snap("replied", { consentPublish: true, published: true }),
      unpublish,
      { patch: { published: false, publishedAt: null } },
    ],
    [
      "unpublish a published closed case",
      snap("closed", { consentPublish: true, published: true }),
      unpublish,
      { patch: { published: false, publishedAt: null } },
    ],
    [
      "unpublish after the consent was withdrawn",
      snap("closed", { consentPublish: false, published: true }),
      unpublish,
      { patch: { published: false, publishedAt: null } },
    ],
    [
      "unpublish a received case",
      snap("received", { consentPublish: true }),
      unpublish,
      { refused: /not published/ },
    ],
    [
      "unpublish an assigned case",
      snap("assigned", { consentPublish: true }),
      unpublish,
      { refused: /not published/ },
    ],
    [
      "unpublish an unpublished replied case",
      snap("replied", { consentPublish: true }),
      unpublish,
      { refused: /not published/ },
    ],
    [
      "unpublish an unpublished closed case",
      snap("closed", { consentPublish: true }),
      unpublish,
      { refused: /not published/ },
    ],
    // closed: only after the reply.
    ["close a received case", snap("received"), close, { refused: /replied to/ }],
    ["close an assigned case", snap("assigned"), close, { refused: /replied to/ }],
    ["close a replied case", snap("replied"), close, { patch: { state: "closed", closedAt: NOW } }],
    [
      "close a published replied case: it stays published",
      snap("replied", { consentPublish: true, published: true }),
      close,
      { patch: { state: "closed", closedAt: NOW } },
    ],
    ["close a closed case", snap("closed"), close, { refused: /replied to/ }],
    // A state the machine does not know is never moved on.
    ["assign a case in an unknown state", snap("archived"), assign, { refused: /archived/ }],
    ["reply to a case in an unknown state", snap("archived"), reply, { refused: /archived/ }],
    ["close a case in an unknown state", snap("archived"), close, { refused: /replied to/ }],
  ];

  it.each(cases)("%s", (_, current, event, expected) => {
    const decision = decideOpinion(current, event, ACTOR, NOW);
    if ("patch" in expected) {
      expect(decision).toEqual({ ok: true, patch: expected.patch });
    } else {
      expect(decision.ok).toBe(false);
      if (decision.ok) return;
      expect(decision.messageEn).toMatch(expected.refused);
      // Refusals are shown to staff in Chinese too.
      expect(decision.message).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it("covers every state × event", () => {
    const seen = new Set(cases.map(([, current, event]) => `${current.state}×${event.type}`));
    for (const state of ["received", "assigned", "replied", "closed"]) {
      for (const event of ["assigned", "replied", "published", "unpublished", "closed"]) {
        expect(seen.has(`${state}×${event}`), `${state}×${event}`).toBe(true);
      }
    }
  });

  it("keeps the existing assignee when someone else replies to a received case that has one", () => {
    const decision = decideOpinion(snap("received", { assigneeId: "user-handler" }), reply, ACTOR, NOW);
    expect(decision).toEqual({
      ok: true,
      patch: { state: "replied", replyText: "已联系供电公司，路灯已修复。", repliedAt: NOW },
    });
  });

  it("does not change its input", () => {
    const current = snap("replied", { consentPublish: true });
    const copy = structuredClone(current);
    decideOpinion(current, publish, ACTOR, NOW);
    decideOpinion(current, close, ACTOR, NOW);
    expect(current).toEqual(copy);
  });
});
