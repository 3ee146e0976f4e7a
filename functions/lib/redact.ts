/**
 * Masking of personal data. `mask*` show enough to recognise (138****8000); `redactText` removes
 * phone numbers, ID numbers and e-mail addresses that citizens write into free text before it is
 * published on the echo wall.
 */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : "***";
}

export function maskEmail(email: string): string {
  const at = email.indexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

export function maskContact(contact: string): string {
  return contact.includes("@") ? maskEmail(contact) : maskPhone(contact);
}

/** Masks one personal field of a case for staff lists and pages: the contact by its kind, a name as 张** . */
export function maskPersonalField(key: string, value: string): string {
  if (key === "contact") return maskContact(value);
  const chars = [...value];
  return `${chars[0] ?? ""}${"*".repeat(Math.max(chars.length - 1, 1))}`;
}

/** Resident ID numbers (GB 11643: 17 digits and a check digit or X) show 3 + 4 (110***********1234). */
export function maskIdNumber(id: string): string {
  return id.length >= 8 ? `${id.slice(0, 3)}${"*".repeat(id.length - 7)}${id.slice(-4)}` : "***";
}

const ID_NUMBER = /(?<!\d)\d{17}[\dXx](?!\d)/g;
const MOBILE = /(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)/g;
// Area code and number as people write them: 010-12345678, 0755 88889999, (010)12345678, （0755）88889999.
const LANDLINE = /(?:[(（]0\d{2,3}[)）]\s?|(?<!\d)0\d{2,3}[\s-]?)\d{7,8}(?!\d)/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Full-width digits (１３９…) typed on Chinese keyboards count as digits for redaction. */
const toAsciiDigits = (s: string) =>
  s.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));

export function redactText(text: string): string {
  // Matching runs on a copy with ASCII digits; positions are the same (one UTF-16 unit each).
  const ascii = toAsciiDigits(text);
  if (ascii === text) return redactAscii(text);
  const marked = redactAscii(ascii);
  return marked === ascii ? text : marked;
}

function redactAscii(text: string): string {
  return text
    .replace(ID_NUMBER, "[身份证号已隐去]")
    .replace(EMAIL, "[邮箱已隐去]")
    .replace(MOBILE, "[电话已隐去]")
    .replace(LANDLINE, "[电话已隐去]");
}
