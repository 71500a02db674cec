/**
 * The dates a policy carries (an exemption's `expires_at`), read strictly. `Date.parse` accepts any
 * day up to 31 and rolls it over (`2027-02-30` is March 2), so an exemption would expire on another
 * day than the one written; here an impossible date is unreadable, as the API's `date` and
 * `date-time` formats have it.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** Midnight UTC of a day; years 0–99 are those years (Date.UTC would read them as 1900–1999). */
function utcDay(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number): number =>
  month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);

/**
 * An ISO date (`2027-03-31`, its first instant in UTC) or an RFC 3339 date-time with its zone
 * (`2027-03-31T12:00:00+02:00`), as epoch milliseconds; null when it is neither or names a day,
 * hour or zone that does not exist.
 */
export function parseIsoInstant(text: string): number | null {
  const m = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (m[4] === undefined) return utcDay(year, month, day);
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  // Second 60 is a leap second (RFC 3339 §5.7), carried into the next minute.
  if (hour > 23 || minute > 59 || second > 60) return null;
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const fraction = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  return utcDay(year, month, day) + ((hour * 60 + minute) * 60 + second) * 1000 + fraction - offset;
}
