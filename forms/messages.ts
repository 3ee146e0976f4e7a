/** Bilingual validation messages, keyed by the codes the form compiler puts on valibot issues. */
export type MessageCode =
  | "required"
  | "type_text"
  | "type_choice"
  | "type_choices"
  | "type_boolean"
  | "type_rating"
  | "too_long"
  | "not_option"
  | "duplicate_choice"
  | "rating_range"
  | "phone"
  | "email"
  | "contact"
  | "consent_required"
  | "unknown_field"
  | "control_chars"
  | "answers_object";

const MESSAGES: Record<MessageCode, (p: string) => [string, string]> = {
  required: () => ["此项为必填项", "This field is required"],
  type_text: () => ["应填写文字", "Must be text"],
  type_choice: () => ["应选择一个选项", "Must be one option"],
  type_choices: () => ["应为选项列表", "Must be a list of options"],
  type_boolean: () => ["应为是或否", "Must be true or false"],
  type_rating: () => ["应为评分数字", "Must be a rating number"],
  too_long: (n) => [`不能超过 ${n} 个字`, `Must be at most ${n} characters`],
  not_option: () => ["不是可选的选项", "Is not one of the options"],
  duplicate_choice: () => ["同一选项不能重复选择", "The same option is chosen twice"],
  rating_range: (n) => [`评分应为 1 到 ${n} 的整数`, `Must be a whole number from 1 to ${n}`],
  phone: () => ["请填写正确的 11 位手机号码", "Enter a valid 11-digit mainland mobile number"],
  email: () => ["请填写正确的电子邮箱", "Enter a valid e-mail address"],
  contact: () => ["请填写正确的手机号码或电子邮箱", "Enter a valid mainland mobile number or e-mail address"],
  consent_required: () => ["须勾选同意后才能提交", "You must tick this box to submit"],
  unknown_field: () => ["表单中没有此项", "This form has no such field"],
  control_chars: () => ["含有不允许的控制字符", "Contains characters that are not allowed"],
  answers_object: () => ["答案应为一个对象", "Answers must be an object"],
};

/** Turns a `code` or `code:param` issue message into `[zh-CN, en]`. */
export function translate(message: string): [string, string] {
  const sep = message.indexOf(":");
  const code = (sep === -1 ? message : message.slice(0, sep)) as MessageCode;
  const param = sep === -1 ? "" : message.slice(sep + 1);
  const fn = MESSAGES[code];
  return fn ? fn(param) : ["输入有误", message];
}
