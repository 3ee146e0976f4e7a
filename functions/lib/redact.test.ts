import { describe, expect, it } from "vitest";
import { maskContact, maskEmail, maskIdNumber, maskPhone, redactText } from "./redact.ts";

const PHONE = "[电话已隐去]";
const ID = "[身份证号已隐去]";
const MAIL = "[邮箱已隐去]";

describe("mask functions", () => {
  it.each([
    ["maskPhone", maskPhone("13800138000"), "138****8000"],
    ["maskPhone of a short number", maskPhone("1380013"), "***"],
    ["maskPhone of a 12-digit number", maskPhone("138001380001"), "***"],
    ["maskIdNumber", maskIdNumber("110101199003071234"), "110***********1234"],
    ["maskIdNumber with the check letter X", maskIdNumber("11010119900307123X"), "110***********123X"],
    ["maskIdNumber of a 15-digit old ID", maskIdNumber("110101900307123"), "110********7123"],
    ["maskIdNumber of a short string", maskIdNumber("1234567"), "***"],
    ["maskEmail", maskEmail("zhangsan@example.com"), "z***@example.com"],
    ["maskEmail with a one-letter name", maskEmail("z@example.com"), "z***@example.com"],
    ["maskEmail without a name", maskEmail("@example.com"), "***"],
    ["maskEmail without @", maskEmail("zhangsan"), "***"],
    ["maskContact of a phone", maskContact("13800138000"), "138****8000"],
    ["maskContact of an e-mail", maskContact("li.si@example.gov.cn"), "l***@example.gov.cn"],
  ])("%s", (_, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it("hides 11 of the 18 ID characters", () => {
    expect(maskIdNumber("110101199003071234").match(/\*/g)).toHaveLength(11);
  });
});

describe("redactText", () => {
  const cases: [what: string, input: string, output: string][] = [
    ["a mobile number", "我的电话13800138000，请回电", `我的电话${PHONE}，请回电`],
    ["a mobile with spaces", "电话 138 0013 8000 谢谢", `电话 ${PHONE} 谢谢`],
    ["a mobile with dashes", "电话:138-0013-8000", `电话:${PHONE}`],
    ["a mobile with +86", "电话+8613800138000。", `电话${PHONE}。`],
    ["a mobile with +86 and spaces", "call +86 138 0013 8000 now", `call ${PHONE} now`],
    ["a mobile with 86-", "86-13912345678", PHONE],
    ["a mobile at the start and end", "13800138000和19912345678", `${PHONE}和${PHONE}`],
    ["an 18-digit ID", "身份证号110101199003071234。", `身份证号${ID}。`],
    ["an ID ending in X", "身份证 11010119900307123X 已提交", `身份证 ${ID} 已提交`],
    ["an ID ending in x", "11010119900307123x", ID],
    ["an e-mail", "请发到 zhang.san@example.com.cn 谢谢", `请发到 ${MAIL} 谢谢`],
    ["an e-mail made of a phone number", "邮箱13800138000@163.com", `邮箱${MAIL}`],
    ["a QQ mail", "123456789@qq.com", MAIL],
    ["a landline with a dash", "办公室电话010-12345678。", `办公室电话${PHONE}。`],
    ["a landline with a four-digit area code", "0755-1234567", PHONE],
    ["a landline without a dash", "电话01012345678", `电话${PHONE}`],
    ["a landline with the area code in brackets", "电话(010)12345678", `电话${PHONE}`],
    ["a landline with the area code in full-width brackets", "电话：（0755）88889999", `电话：${PHONE}`],
    ["a landline with a space", "电话 0755 88889999", `电话 ${PHONE}`],
    ["a landline with brackets and a space", "(010) 12345678 转 801", `${PHONE} 转 801`],
    [
      "several kinds at once",
      "张三，13800138000，zs@example.com，110101199003071234",
      `张三，${PHONE}，${MAIL}，${ID}`,
    ],
  ];
  it.each(cases)("removes %s", (_, input, output) => {
    expect(redactText(input)).toBe(output);
  });

  // Ordinary numbers must stay: the echo wall shows dates, amounts, counts and document numbers.
  const kept: [what: string, text: string][] = [
    ["a year", "2025年"],
    ["a date", "2025年12月31日"],
    ["an ISO date", "2025-12-31"],
    ["a date without dashes", "20251231"],
    ["a time", "13:00 到 18:00"],
    ["an amount", "罚款 12345678 元"],
    ["an amount with separators", "¥1,380,013.80"],
    ["an amount with decimals", "共 13800.50 元"],
    ["a count", "已有 100000 人参与"],
    ["a document number", "国办发〔2019〕51号"],
    ["a long order number", "订单号 2025010112345"],
    ["a 12-digit number starting like a mobile", "编号 138001380001"],
    ["a 10-digit number starting like a mobile", "编号 1380013800"],
    ["a number starting 12", "12800138000"],
    ["a percentage", "满意率 98.5%"],
    ["a range of years", "2024-2025 年度"],
    ["a postcode", "邮编 100010"],
  ];
  it.each(kept)("keeps %s", (_, text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe("redactText with full-width digits", () => {
  it("redacts a mobile number typed with full-width digits", () => {
    expect(redactText("请打我电话１３９００１３９０００谢谢")).toBe("请打我电话[电话已隐去]谢谢");
  });
  it("leaves full-width text without personal numbers untouched", () => {
    expect(redactText("２０２６年共收到１２件")).toBe("２０２６年共收到１２件");
  });
});
