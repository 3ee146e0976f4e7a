/**
 * The opinion's state machine (DESIGN §2): received → assigned → replied → closed. Publishing to the
 * echo wall is a flag, allowed only with the citizen's consent and once there is a reply to show.
 * Pure: it decides, the handler writes.
 */
export const OPINION_STATES = ["received", "assigned", "replied", "closed"] as const;
export type OpinionState = (typeof OPINION_STATES)[number];

export type OpinionEvent =
  | { type: "assigned"; assigneeId: string }
  | { type: "replied"; text: string }
  | { type: "published" }
  | { type: "unpublished" }
  | { type: "closed" };

export interface OpinionSnapshot {
  state: string;
  consentPublish: boolean;
  published: boolean;
  assigneeId: string | null;
}

export type Decision =
  | {
      ok: true;
      patch: Partial<{
        state: OpinionState;
        assigneeId: string;
        replyText: string;
        repliedAt: number;
        published: boolean;
        publishedAt: number | null;
        closedAt: number;
      }>;
    }
  | { ok: false; message: string; messageEn: string };

const refuse = (message: string, messageEn: string): Decision => ({ ok: false, message, messageEn });

/**
 * Decides whether `event` may happen to a case in `current` and what it changes.
 * A reply may come straight from "received": the replier becomes the assignee.
 */
export function decideOpinion(
  current: OpinionSnapshot,
  event: OpinionEvent,
  actorId: string,
  now: number,
): Decision {
  const s = current.state;
  switch (event.type) {
    case "assigned":
      if (s !== "received" && s !== "assigned") {
        return refuse(`当前状态（${s}）下不能再分派`, `Cannot assign a case that is ${s}`);
      }
      return { ok: true, patch: { state: "assigned", assigneeId: event.assigneeId } };
    case "replied":
      if (s !== "received" && s !== "assigned") {
        return refuse(`当前状态（${s}）下不能答复`, `Cannot reply to a case that is ${s}`);
      }
      return {
        ok: true,
        patch: {
          state: "replied",
          replyText: event.text,
          repliedAt: now,
          ...(current.assigneeId ? {} : { assigneeId: actorId }),
        },
      };
    case "published":
      if (!current.consentPublish) {
        return refuse("来信人未同意公开，不能发布到回音壁", "The citizen did not consent to publication");
      }
      if (s !== "replied" && s !== "closed") {
        return refuse("答复后才能发布到回音壁", "Only a case with a reply can be published");
      }
      if (current.published) return refuse("已经发布在回音壁上", "The case is already published");
      return { ok: true, patch: { published: true, publishedAt: now } };
    case "unpublished":
      if (!current.published) return refuse("该来信未发布，无需撤下", "The case is not published");
      return { ok: true, patch: { published: false, publishedAt: null } };
    case "closed":
      if (s !== "replied") {
        return refuse("答复来信人之后才能办结", "A case can be closed only after it has been replied to");
      }
      return { ok: true, patch: { state: "closed", closedAt: now } };
  }
}
