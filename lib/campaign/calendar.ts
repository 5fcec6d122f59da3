/**
 * Calling hours of a campaign in its time zone (the specification's
 * "outbound call duration"): which periods apply on a local date
 * (allocated periods > special dates > regular periods), whether calls are
 * allowed at an instant, when they next are, and when the current window
 * closes.
 *
 * Periods are wall-clock times of their date: 09:00-11:30 starts at 09:00
 * local on both sides of a daylight-saving change. A local time that does
 * not exist (the spring-forward gap) maps to the instant the clock jumps
 * to; one that occurs twice (fall-back) maps to its first occurrence, so a
 * window is never doubled. Only Intl and Date are used. daysOf() gives the
 * result policy its local days over the same calendar.
 */
import type { CallingHours, Period } from '../schemas/campaign';
import { isCalendarDate } from '../schemas/dates';
import type { Days } from './policy';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** How far ahead nextOpen (and windowEnd's chaining) looks. */
const HORIZON_DAYS = 400;
/** Local dates whose windows are kept. */
const CACHE_DATES = 128;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** One calling window: [start, end) in ms since the epoch. */
interface Window {
  start: number;
  end: number;
}

// ---------------------------------------------------------------------------
// Time-zone arithmetic with Intl.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The cached formatter of a zone; throws RangeError naming a zone Intl does not know. */
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    throw new RangeError(`not an IANA time zone: ${JSON.stringify(timezone)}`);
  }
  if (formatters.size >= 64) formatters.delete(formatters.keys().next().value as string);
  formatters.set(timezone, f);
  return f;
}

/** The wall-clock time of instant t (whole seconds) as if it were UTC, in ms. */
function wallOf(f: Intl.DateTimeFormat, t: number): number {
  let y = 0;
  let mo = 1;
  let d = 1;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of f.formatToParts(t)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value) % 24;
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
      default:
        break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(y, mo - 1, d);
  wall.setUTCHours(h, mi, s, 0);
  return wall.getTime();
}

/** The zone's offset from UTC at instant t, in ms (local = t + offset). */
function offsetAt(f: Intl.DateTimeFormat, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  return wallOf(f, whole) - whole;
}

/** The instant of a wall-clock time (ms as if UTC): the first occurrence, or the end of the gap it falls in. */
function wallToInstant(f: Intl.DateTimeFormat, wall: number): number {
  const offsets = new Set([offsetAt(f, wall - DAY_MS), offsetAt(f, wall), offsetAt(f, wall + DAY_MS)]);
  const candidates = [...offsets].map((o) => wall - o);
  let best: number | undefined;
  for (const t of candidates) if (offsetAt(f, t) === wall - t && (best === undefined || t < best)) best = t;
  if (best !== undefined) return best;
  // A gap: the wall time is skipped. The answer is the first instant whose wall time is past it (the jump).
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  while (hi - lo > 1000) {
    const mid = lo + Math.max(1, Math.floor((hi - lo) / 2000)) * 1000;
    if (mid + offsetAt(f, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

// ---------------------------------------------------------------------------
// Dates as day numbers (days since 1970-01-01).

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayOf(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date YYYY-MM-DD: ${JSON.stringify(date)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) throw new RangeError(`not a date YYYY-MM-DD: ${JSON.stringify(date)}`);
  return Math.round(ms / DAY_MS);
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Minutes of a time of day HH:MM (00:00 to 24:00). */
function minutesOf(time: string, where: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  const h = Number(m?.[1]);
  const mi = Number(m?.[2]);
  if (!m || h > 24 || mi > 59 || (h === 24 && mi !== 0)) throw new RangeError(`${where}: not a time HH:MM from 00:00 to 24:00: ${JSON.stringify(time)}`);
  return h * 60 + mi;
}

/**
 * The instant of a local date-time 'YYYY-MM-DDTHH:MM' (':SS' allowed, and
 * 'T24:00' for the next midnight) in an IANA zone, or of a date
 * 'YYYY-MM-DD' plus `minutes` of the day (1440: the next midnight). A
 * time in a spring-forward gap gives the instant the clock jumps to; a
 * time that occurs twice gives its first occurrence.
 */
export function localToInstant(local: string, timezone: string, minutes = 0): number {
  const f = formatter(timezone);
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local);
  if (!m) throw new RangeError(`not a local date-time YYYY-MM-DDTHH:MM: ${JSON.stringify(local)}`);
  const day = dayOf(m[1] ?? '');
  let ms = minutes * MINUTE_MS;
  if (m[2] !== undefined) {
    const h = Number(m[2]);
    const mi = Number(m[3]);
    const s = Number(m[4] ?? 0);
    if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi !== 0 || s !== 0))) throw new RangeError(`not a local date-time YYYY-MM-DDTHH:MM: ${JSON.stringify(local)}`);
    ms += ((h * 60 + mi) * 60 + s) * 1000;
  }
  if (!Number.isFinite(ms)) throw new RangeError(`minutes of the day must be a number (got ${minutes})`);
  return wallToInstant(f, day * DAY_MS + ms);
}

// ---------------------------------------------------------------------------

/** What isOpen last found: the answer holds for every instant in [from, until). */
interface Span {
  from: number;
  until: number;
  open: boolean;
}

/**
 * The calling hours of one campaign in its time zone. Windows are computed
 * per local date and cached (at most CACHE_DATES dates); isOpen also keeps
 * the span of its last answer, so a dialer tick costs a comparison.
 */
export class CallingCalendar {
  private readonly f: Intl.DateTimeFormat;
  private readonly allocated = new Map<string, Period[]>();
  private readonly special: { dates: Set<string>; weekdays: Set<string>; periods: Period[] }[];
  private readonly regular: Period[];
  private readonly cache = new Map<number, Window[]>();
  private span: Span | undefined;

  constructor(
    hours: CallingHours,
    readonly timezone: string,
  ) {
    this.f = formatter(timezone);
    const check = (where: string, periods: Period[]): Period[] => {
      periods.forEach((p, i) => {
        minutesOf(p.start, `${where}.${i}.start`);
        minutesOf(p.end, `${where}.${i}.end`);
      });
      return periods.map((p) => ({ start: p.start, end: p.end }));
    };
    // A date that does not exist (2024-02-30) would never come round: it is refused, not silently ignored.
    const checkDates = (where: string, dates: string[]): string[] => {
      dates.forEach((d, j) => {
        if (!isCalendarDate(d)) throw new RangeError(`${where}.${j}: not a date that exists, YYYY-MM-DD: ${JSON.stringify(d)}`);
      });
      return dates;
    };
    this.regular = check('hours.regular', hours.regular);
    this.special = hours.special.map((s, i) => ({
      dates: new Set(checkDates(`hours.special.${i}.dates`, s.dates)),
      weekdays: new Set(s.weekdays.map((w) => w.toLowerCase())),
      periods: check(`hours.special.${i}.periods`, s.periods),
    }));
    hours.allocated.forEach((a, i) => {
      const periods = check(`hours.allocated.${i}.periods`, a.periods);
      for (const d of checkDates(`hours.allocated.${i}.dates`, a.dates)) if (!this.allocated.has(d)) this.allocated.set(d, periods);
    });
  }

  /**
   * The periods that apply on a local date (YYYY-MM-DD): allocated periods
   * for that date if any allocation lists it, else the periods of the first
   * special-date set whose dates list it or whose weekdays include its
   * weekday, else the regular periods. An empty list or only 00:00-00:00 =
   * no calls that day.
   */
  periodsOn(date: string): Period[] {
    const day = dayOf(date);
    return this.periodsOfDay(day).map((p) => ({ ...p }));
  }

  /** Whether calls are allowed at instant t (ms since epoch). */
  isOpen(t: number): boolean {
    const s = this.span;
    if (s && s.from <= t && t < s.until) return s.open;
    const day = this.dayAt(t);
    let next = this.dayStart(day + 2);
    for (let d = day - 1; d <= day + 1; d += 1) {
      for (const w of this.windows(d)) {
        if (w.start <= t && t < w.end) {
          this.span = { from: w.start, until: w.end, open: true };
          return true;
        }
        if (w.start > t && w.start < next) next = w.start;
      }
    }
    this.span = { from: t, until: next, open: false };
    return false;
  }

  /** The first instant >= t when calls are allowed (t itself when open), or undefined when no day in the next 400 days allows calls. */
  nextOpen(t: number): number | undefined {
    if (this.isOpen(t)) return t;
    const w = this.firstEndingAfter(t, this.dayAt(t) + HORIZON_DAYS);
    return w ? Math.max(w.start, t) : undefined;
  }

  /**
   * When open at t: the instant the current window closes (exclusive).
   * Windows that touch (a day's window to midnight and the next day's from
   * midnight) are one window. Undefined when closed.
   */
  windowEnd(t: number): number | undefined {
    if (!this.isOpen(t)) return undefined;
    const last = this.dayAt(t) + HORIZON_DAYS;
    let end = t;
    for (;;) {
      const w = this.firstEndingAfter(end, last);
      if (!w || w.start > end) return end;
      end = w.end;
    }
  }

  /** The local date YYYY-MM-DD of instant t in the time zone. */
  localDate(t: number): string {
    return dateOf(this.dayAt(t));
  }

  // -------------------------------------------------------------------------

  private periodsOfDay(day: number): Period[] {
    const date = dateOf(day);
    const allocated = this.allocated.get(date);
    if (allocated) return allocated;
    if (this.special.length > 0) {
      const weekday = WEEKDAYS[(((day + 4) % 7) + 7) % 7] ?? '';
      for (const s of this.special) if (s.dates.has(date) || s.weekdays.has(weekday)) return s.periods;
    }
    return this.regular;
  }

  /** The local day number of instant t. */
  private dayAt(t: number): number {
    return Math.floor(wallOf(this.f, Math.floor(t / 1000) * 1000) / DAY_MS);
  }

  /** The instant of a local day's 00:00 (first occurrence). */
  private dayStart(day: number): number {
    return wallToInstant(this.f, day * DAY_MS);
  }

  /** The first window, of the local days from one before t's up to `lastDay`, that ends after t. */
  private firstEndingAfter(t: number, lastDay: number): Window | undefined {
    for (let d = this.dayAt(t) - 1; d <= lastDay; d += 1) {
      for (const w of this.windows(d)) if (w.end > t) return w;
    }
    return undefined;
  }

  /** The windows of a local day, sorted, merged and non-empty (cached). */
  private windows(day: number): Window[] {
    const cached = this.cache.get(day);
    if (cached) return cached;
    // In minutes of the day first: drop 00:00-00:00 and empty periods, read an end of 23:59 as midnight, merge.
    const ranges: [number, number][] = [];
    for (const p of this.periodsOfDay(day)) {
      const start = minutesOf(p.start, 'start');
      const end = minutesOf(p.end, 'end');
      if (start >= end) continue;
      ranges.push([start, end === 23 * 60 + 59 ? 1440 : end]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const out: Window[] = [];
    for (const [s, e] of ranges) {
      const start = wallToInstant(this.f, day * DAY_MS + s * MINUTE_MS);
      const end = wallToInstant(this.f, day * DAY_MS + e * MINUTE_MS);
      if (end <= start) continue;
      const prev = out[out.length - 1];
      if (prev && start <= prev.end) prev.end = Math.max(prev.end, end);
      else out.push({ start, end });
    }
    if (this.cache.size >= CACHE_DATES) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(day, out);
    return out;
  }
}

/** Local days of the campaign's time zone, for the result policy. */
export function daysOf(calendar: CallingCalendar, timezone: string): Days {
  const dayNumber = (d: string): number => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) / 86_400_000;
  return {
    dayOf: (t) => calendar.localDate(t),
    daysBetween: (a, b) => dayNumber(b) - dayNumber(a),
    nextDayStart: (t) => {
      const next = new Date((dayNumber(calendar.localDate(t)) + 1) * 86_400_000).toISOString().slice(0, 10);
      return localToInstant(`${next}T00:00`, timezone);
    },
  };
}

