/**
 * The Chinese working-day calendar: weekends, public holidays and the adjusted working days
 * (调休上班) announced each year by the State Council. Pure: no I/O, dates are Beijing calendar days
 * written `YYYY-MM-DD`.
 *
 * Counting follows the usual rule for statutory periods: the day the period starts is not counted
 * (民法典 第二百零一条), so "reply within 10 working days" of a message received on day D is due on
 * the 10th working day after D.
 */

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

interface YearCalendar {
  /** Public holidays, including the weekend days that fall inside a holiday block. */
  holidays: string[];
  /** Saturdays and Sundays that are working days (调休上班). */
  workdays: string[];
  source: string;
}

function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = shiftDays(d, 1)) out.push(d);
  return out;
}

export const CALENDARS: Record<number, YearCalendar> = {
  2025: {
    source: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
    holidays: [
      "2025-01-01",
      ...range("2025-01-28", "2025-02-04"),
      ...range("2025-04-04", "2025-04-06"),
      ...range("2025-05-01", "2025-05-05"),
      ...range("2025-05-31", "2025-06-02"),
      ...range("2025-10-01", "2025-10-08"),
    ],
    workdays: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
  },
  2026: {
    source: "国务院办公厅关于2026年部分节假日安排的通知",
    holidays: [
      ...range("2026-01-01", "2026-01-03"),
      ...range("2026-02-15", "2026-02-23"),
      ...range("2026-04-04", "2026-04-06"),
      ...range("2026-05-01", "2026-05-05"),
      ...range("2026-06-19", "2026-06-21"),
      ...range("2026-09-25", "2026-09-27"),
      ...range("2026-10-01", "2026-10-07"),
    ],
    workdays: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
  },
};

/** A day as a whole number of days since 1970-01-01 (a Thursday): the walks below count on numbers. */
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dayString = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

const HOLIDAYS = new Set(Object.values(CALENDARS).flatMap((c) => c.holidays.map(dayNumber)));
const WORKDAYS = new Set(Object.values(CALENDARS).flatMap((c) => c.workdays.map(dayNumber)));

function isWorkingDayNumber(n: number): boolean {
  if (HOLIDAYS.has(n)) return false;
  if (WORKDAYS.has(n)) return true;
  const weekday = (n + 4) % 7; // 0 is Sunday, 6 Saturday
  return weekday !== 0 && weekday !== 6;
}

/** Whether the State Council's schedule for this year is in the calendar (else weekends only). */
export function calendarKnown(year: number): boolean {
  return year in CALENDARS;
}

/** The Beijing calendar day of an instant (Beijing is UTC+8 all year). */
export function beijingDate(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

export function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function isWorkingDay(date: string): boolean {
  return isWorkingDayNumber(dayNumber(date));
}

/** The day on which the `n`-th working day after `start` falls (`start` itself is not counted). */
export function addWorkingDays(start: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError("n must be a whole number ≥ 0");
  let d = dayNumber(start);
  for (let counted = 0; counted < n; ) {
    d++;
    if (isWorkingDayNumber(d)) counted++;
  }
  return dayString(d);
}

/** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function workingDaysBetween(from: string, to: string): number {
  let count = 0;
  const last = dayNumber(to);
  for (let d = dayNumber(from) + 1; d <= last; d++) if (isWorkingDayNumber(d)) count++;
  return count;
}
