/**
 * One error type for the whole Worker. The code decides the HTTP status; every error body is
 * `{ error: { code, message, messageEn, issues?, requestId } }` with messages in zh-CN and en.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  missing_idempotency_key: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  bot_check_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_in_flight: 409,
  invalid_transition: 409,
  idempotency_key_reused: 422,
  form_unavailable: 409,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with one field: `path` is the field's location, e.g. `answers.contact`. */
export interface FieldIssue {
  path: string;
  message: string;
  messageEn: string;
}

/**
 * Thrown by handlers; `onError` turns it into the JSON error shape.
 * @example throw new AppError("not_found", "找不到该查询码", "No case has this tracking code");
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly messageZh: string;
  readonly messageEn: string;
  readonly issues: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    messageZh: string,
    messageEn: string,
    options: { issues?: FieldIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(messageEn, { cause: options.cause });
    this.code = code;
    this.messageZh = messageZh;
    this.messageEn = messageEn;
    this.issues = options.issues;
    this.headers = options.headers;
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

/** Shorthand for a 400 that names the fields at fault. */
export function validationError(issues: FieldIssue[]): AppError {
  return new AppError("validation_failed", "提交的内容有误，请检查标出的项目", "Some fields are invalid", {
    issues,
  });
}

export function errorBody(err: AppError, requestId: string) {
  return {
    error: {
      code: err.code,
      message: err.messageZh,
      messageEn: err.messageEn,
      ...(err.issues ? { issues: err.issues } : {}),
      requestId,
    },
  };
}
