/**
 * The working-day clock, checked against the State Council's holiday notices:
 * - 2025: 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）
 *   元旦 1/1; 春节 1/28–2/4, work on Sun 1/26 and Sat 2/8; 清明 4/4–4/6; 劳动节 5/1–5/5, work on
 *   Sun 4/27; 端午 5/31–6/2; 国庆中秋 10/1–10/8, work on Sun 9/28 and Sat 10/11.
 * - 2026: 元旦 1/1–1/3, work on Sun 1/4; 春节 2/15–2/23, work on Sat 2/14 and Sat 2/28; 清明 4/4–4/6;
 *   劳动节 5/1–5/5, work on Sat 5/9; 端午 6/19–6/21; 中秋 9/25–9/27; 国庆 10/1–10/7, work on Sun 9/20
 *   and Sat 10/10.
 * Every expected date below was counted by hand on a paper calendar from these notices; the day a
 * period starts is not counted (民法典 第二百零一条).
 */
import { describe, expect, it } from "vitest";
import {
  addWorkingDays,
  beijingDate,
  CALENDARS,
  calendarKnown,
  isWorkingDay,
  shiftDays,
  workingDaysBetween,
} from "./working-days.ts";

describe("isWorkingDay", () => {
  const cases: [date: string, working: boolean, why: string][] = [
    // 2025
    ["2025-01-01", false, "元旦, a Wednesday"],
    ["2025-01-02", true, "Thursday after 元旦: 2025 has a one-day New Year"],
    ["2025-01-26", true, "Sunday worked before 春节"],
    ["2025-01-27", true, "Monday, last day before 春节"],
    ["2025-01-28", false, "春节 first day (除夕), a Tuesday"],
    ["2025-02-01", false, "Saturday inside 春节"],
    ["2025-02-04", false, "春节 last day, a Tuesday"],
    ["2025-02-05", true, "Wednesday after 春节"],
    ["2025-02-08", true, "Saturday worked after 春节"],
    ["2025-02-09", false, "ordinary Sunday after the worked Saturday"],
    ["2025-03-15", false, "ordinary Saturday"],
    ["2025-03-16", false, "ordinary Sunday"],
    ["2025-03-17", true, "ordinary Monday"],
    ["2025-04-04", false, "清明, a Friday"],
    ["2025-04-06", false, "Sunday inside 清明"],
    ["2025-04-07", true, "Monday after 清明"],
    ["2025-04-26", false, "Saturday before 劳动节 stays a rest day"],
    ["2025-04-27", true, "Sunday worked before 劳动节"],
    ["2025-05-01", false, "劳动节 first day, a Thursday"],
    ["2025-05-05", false, "劳动节 last day, a Monday"],
    ["2025-05-06", true, "Tuesday after 劳动节"],
    ["2025-05-31", false, "端午, a Saturday"],
    ["2025-06-02", false, "Monday off for 端午"],
    ["2025-06-03", true, "Tuesday after 端午"],
    ["2025-09-28", true, "Sunday worked before 国庆"],
    ["2025-10-01", false, "国庆 first day, a Wednesday"],
    ["2025-10-06", false, "中秋 falls inside the 国庆 block"],
    ["2025-10-08", false, "国庆 last day, a Wednesday"],
    ["2025-10-09", true, "Thursday after 国庆"],
    ["2025-10-11", true, "Saturday worked after 国庆"],
    ["2025-10-12", false, "ordinary Sunday after the worked Saturday"],
    ["2025-12-31", true, "Wednesday, last day of 2025"],
    // 2026
    ["2026-01-01", false, "元旦, a Thursday"],
    ["2026-01-02", false, "Friday off for 元旦"],
    ["2026-01-03", false, "Saturday inside 元旦"],
    ["2026-01-04", true, "Sunday worked after 元旦"],
    ["2026-01-10", false, "ordinary Saturday"],
    ["2026-02-13", true, "Friday before 春节"],
    ["2026-02-14", true, "Saturday worked before 春节"],
    ["2026-02-15", false, "春节 first day, a Sunday"],
    ["2026-02-17", false, "春节 (初一), a Tuesday"],
    ["2026-02-23", false, "春节 last day, a Monday"],
    ["2026-02-24", true, "Tuesday after 春节"],
    ["2026-02-28", true, "Saturday worked after 春节"],
    ["2026-03-01", false, "ordinary Sunday after the worked Saturday"],
    ["2026-03-02", true, "ordinary Monday"],
    ["2026-04-04", false, "清明, a Saturday"],
    ["2026-04-06", false, "Monday off for 清明"],
    ["2026-04-07", true, "Tuesday after 清明"],
    ["2026-05-01", false, "劳动节 first day, a Friday"],
    ["2026-05-05", false, "劳动节 last day, a Tuesday"],
    ["2026-05-06", true, "Wednesday after 劳动节"],
    ["2026-05-09", true, "Saturday worked after 劳动节"],
    ["2026-05-10", false, "ordinary Sunday"],
    ["2026-06-19", false, "端午, a Friday"],
    ["2026-06-21", false, "Sunday inside 端午"],
    ["2026-06-22", true, "Monday after 端午"],
    ["2026-09-19", false, "Saturday before the worked Sunday stays a rest day"],
    ["2026-09-20", true, "Sunday worked before 国庆"],
    ["2026-09-25", false, "中秋, a Friday"],
    ["2026-09-27", false, "Sunday inside 中秋"],
    ["2026-09-28", true, "Monday between 中秋 and 国庆"],
    ["2026-10-01", false, "国庆 first day, a Thursday"],
    ["2026-10-07", false, "国庆 last day, a Wednesday"],
    ["2026-10-08", true, "Thursday after 国庆 (2026 has no eighth day)"],
    ["2026-10-10", true, "Saturday worked after 国庆"],
    ["2026-10-11", false, "ordinary Sunday"],
    // No schedule published: weekends only.
    ["2027-03-01", true, "Monday in a year without a schedule"],
    ["2027-03-06", false, "Saturday in a year without a schedule"],
  ];

  it.each(cases)("%s is a working day: %s (%s)", (date, working) => {
    expect(isWorkingDay(date)).toBe(working);
  });
});

describe("CALENDARS", () => {
  // Counted from the notices: 2025 = 1 + 8 + 3 + 5 + 3 + 8 = 28 days off;
  // 2026 = 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33 days off.
  it.each([
    [2025, 28, 5],
    [2026, 33, 6],
  ])("%i lists %i days off and %i adjusted working days", (year, holidays, workdays) => {
    const cal = CALENDARS[year]!;
    expect(new Set(cal.holidays).size).toBe(holidays);
    expect(cal.holidays).toHaveLength(holidays);
    expect(cal.workdays).toHaveLength(workdays);
  });

  it.each([2025, 2026])("every adjusted working day of %i is a Saturday or Sunday and no holiday", (year) => {
    const cal = CALENDARS[year]!;
    for (const d of cal.workdays) {
      expect([0, 6]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
      expect(cal.holidays).not.toContain(d);
      expect(d.startsWith(`${year}-`)).toBe(true);
    }
    for (const d of cal.holidays) expect(d.startsWith(`${year}-`)).toBe(true);
  });
});

describe("addWorkingDays", () => {
  const cases: [start: string, n: number, due: string, why: string][] = [
    // Ordinary weeks.
    ["2025-03-17", 1, "2025-03-18", "Mon + 1 = Tue"],
    ["2025-03-14", 1, "2025-03-17", "Fri + 1 skips the weekend"],
    ["2025-03-17", 10, "2025-03-31", "two full weeks"],
    // 春节 2025: off 1/28–2/4, worked Sun 1/26 and Sat 2/8.
    // 1/21…1/24 = 1–4, Sun 1/26 = 5, Mon 1/27 = 6, 2/5–2/7 = 7–9, Sat 2/8 = 10.
    ["2025-01-20", 10, "2025-02-08", "opinion norm across 春节 2025, due on the worked Saturday"],
    // Sat 1/25 off, Sun 1/26 = 1, Mon 1/27 = 2, then the holiday, Wed 2/5 = 3.
    ["2025-01-24", 3, "2025-02-05", "纠错 across 春节 2025"],
    // 2/5–2/7 = 1–3, Sat 2/8 = 4, 2/10–2/14 = 5–9, 2/17–2/21 = 10–14, 2/24–2/28 = 15–19, Mon 3/3 = 20.
    ["2025-01-27", 20, "2025-03-03", "disclosure across 春节 2025"],
    // Starting inside the holiday: 2/5–2/7 = 1–3, Sat 2/8 = 4, 2/10–2/14 = 5–9, Mon 2/17 = 10.
    ["2025-02-01", 10, "2025-02-17", "start on a holiday, which is not counted anyway"],
    // 劳动节 2025: worked Sun 4/27; Sat 4/26 off. 4/27 = 1, 4/28 = 2, 4/29 = 3.
    ["2025-04-25", 3, "2025-04-29", "纠错 over the worked Sunday before 劳动节"],
    // 5/1–5/5 off: 5/6 = 1, 5/7 = 2, 5/8 = 3.
    ["2025-04-30", 3, "2025-05-08", "纠错 across 劳动节 2025"],
    // 国庆 2025: worked Sun 9/28 and Sat 10/11, off 10/1–10/8.
    // Sun 9/28 = 1, 9/29 = 2, 9/30 = 3, 10/9 = 4, 10/10 = 5, Sat 10/11 = 6, 10/13–10/16 = 7–10.
    ["2025-09-26", 10, "2025-10-16", "opinion norm across 国庆 2025"],
    // 10/9 = 1, 10/10 = 2, Sat 10/11 = 3.
    ["2025-09-30", 3, "2025-10-11", "纠错 across 国庆 2025, due on the worked Saturday"],
    // 10/9 = 1, 10/10 = 2, 10/11 = 3, 10/13–17 = 4–8, 10/20–24 = 9–13, 10/27–31 = 14–18, 11/3 = 19, 11/4 = 20.
    ["2025-09-30", 20, "2025-11-04", "disclosure across 国庆 2025"],
    // Year end: 2026-01-01…03 off, Sun 1/4 worked.
    // Sun 1/4 = 1, Mon 1/5 = 2, Tue 1/6 = 3.
    ["2025-12-31", 3, "2026-01-06", "纠错 across the year end"],
    // 1/4 = 1, 1/5–1/9 = 2–6, 1/12–1/15 = 7–10 (weekends only would give 1/14).
    ["2025-12-31", 10, "2026-01-15", "opinion norm across the year end"],
    // … 1/16 = 11, 1/19–23 = 12–16, 1/26–29 = 17–20.
    ["2025-12-31", 20, "2026-01-29", "disclosure across the year end"],
    // 春节 2026: worked Sat 2/14 and Sat 2/28, off 2/15–2/23.
    // 2/11–2/13 = 1–3, Sat 2/14 = 4, 2/24–2/27 = 5–8, Sat 2/28 = 9, Mon 3/2 = 10.
    ["2026-02-10", 10, "2026-03-02", "opinion norm across 春节 2026, two worked Saturdays"],
    // 2/13 = 1, Sat 2/14 = 2, then the holiday, Tue 2/24 = 3.
    ["2026-02-12", 3, "2026-02-24", "纠错 across 春节 2026"],
    // Sat 2/14 = 1, 2/24–2/27 = 2–5, Sat 2/28 = 6, 3/2–3/6 = 7–11, 3/9–13 = 12–16, 3/16–19 = 17–20.
    ["2026-02-13", 20, "2026-03-19", "disclosure across 春节 2026"],
    // 劳动节 2026: off 5/1–5/5, worked Sat 5/9. 5/6–5/8 = 1–3, Sat 5/9 = 4, 5/11–15 = 5–9, Mon 5/18 = 10.
    ["2026-04-30", 10, "2026-05-18", "opinion norm across 劳动节 2026"],
    // 中秋 9/25–27 and 国庆 10/1–10/7 2026, worked Sun 9/20 and Sat 10/10.
    // 9/28–9/30 = 1–3, 10/8 = 4, 10/9 = 5, Sat 10/10 = 6, 10/12–10/15 = 7–10.
    ["2026-09-24", 10, "2026-10-15", "opinion norm across 中秋 and 国庆 2026"],
    // Sat 9/19 off, Sun 9/20 = 1, 9/21–24 = 2–5, 9/28–30 = 6–8, 10/8 = 9, 10/9 = 10, Sat 10/10 = 11,
    // 10/12–16 = 12–16, 10/19–22 = 17–20.
    ["2026-09-18", 20, "2026-10-22", "disclosure across 中秋 and 国庆 2026"],
    // n = 0 is the start day itself, whatever day it is.
    ["2025-10-01", 0, "2025-10-01", "zero days on a holiday"],
    ["2025-03-17", 0, "2025-03-17", "zero days on a working day"],
  ];

  it.each(cases)("%s + %i working days = %s (%s)", (start, n, due) => {
    expect(addWorkingDays(start, n)).toBe(due);
  });

  it.each(cases)("workingDaysBetween(%s, due) counts the %i days back", (start, n, due) => {
    expect(workingDaysBetween(start, due)).toBe(n);
  });

  it("lands on a working day whenever n ≥ 1", () => {
    for (let d = "2024-12-20"; d <= "2027-01-10"; d = shiftDays(d, 1)) {
      expect(isWorkingDay(addWorkingDays(d, 1))).toBe(true);
    }
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses n = %s", (n) => {
    expect(() => addWorkingDays("2025-03-17", n)).toThrow(RangeError);
  });
});

describe("workingDaysBetween", () => {
  const cases: [from: string, to: string, count: number, why: string][] = [
    ["2025-03-17", "2025-03-17", 0, "same day: the start is not counted"],
    ["2025-03-18", "2025-03-17", 0, "end before start"],
    ["2025-03-14", "2025-03-16", 0, "Friday to Sunday: only the weekend follows"],
    ["2025-03-14", "2025-03-17", 1, "Friday to Monday"],
    ["2025-09-30", "2025-10-08", 0, "the whole 国庆 2025 block"],
    ["2025-09-27", "2025-09-28", 1, "Saturday to the worked Sunday"],
    ["2025-01-27", "2025-02-05", 1, "over 春节 2025: only 2/5"],
    ["2025-12-31", "2026-01-04", 1, "over the year end: only the worked Sunday 1/4"],
    // January 2025 with 1/1 and 1/28–31 off: 1/2–3, 1/6–10, 1/13–17, 1/20–24, Sun 1/26, Mon 1/27
    // = 2 + 5 + 5 + 5 + 1 + 1 = 19.
    ["2024-12-31", "2025-01-31", 19, "January 2025"],
    // February 2026: 2/2–6, 2/9–13, Sat 2/14, 2/24–27, Sat 2/28 = 5 + 5 + 1 + 4 + 1 = 16.
    ["2026-01-31", "2026-02-28", 16, "February 2026"],
  ];

  it.each(cases)("from %s to %s counts %i (%s)", (from, to, count) => {
    expect(workingDaysBetween(from, to)).toBe(count);
  });
});

describe("beijingDate", () => {
  const cases: [instant: string, date: string][] = [
    ["2026-01-31T15:59:59Z", "2026-01-31"],
    ["2026-01-31T16:00:00Z", "2026-02-01"],
    ["2025-12-31T15:59:59.999Z", "2025-12-31"],
    ["2025-12-31T16:00:00Z", "2026-01-01"],
    ["2026-03-01T00:00:00+08:00", "2026-03-01"],
    ["2024-02-28T16:00:00Z", "2024-02-29"],
  ];

  it.each(cases)("%s is %s in Beijing", (instant, date) => {
    expect(beijingDate(Date.parse(instant))).toBe(date);
  });
});

describe("calendarKnown", () => {
  it.each([
    [2024, false],
    [2025, true],
    [2026, true],
    [2027, false],
  ])("%i: %s", (year, known) => {
    expect(calendarKnown(year)).toBe(known);
  });
});

describe("shiftDays", () => {
  it.each([
    ["2025-12-31", 1, "2026-01-01"],
    ["2024-02-28", 1, "2024-02-29"],
    ["2025-02-28", 1, "2025-03-01"],
    ["2026-03-01", -1, "2026-02-28"],
  ])("%s shifted by %i is %s", (date, days, out) => {
    expect(shiftDays(date, days)).toBe(out);
  });
});
