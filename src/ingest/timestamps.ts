import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS, zonedToUtc, zoneOffsetMs } from "../model/time.js";

/**
 * How a time field is written: `auto` (epoch digits by magnitude, else ISO-8601 text), `iso`
 * (text; an offset or `--tz` needed), `s`/`ms`/`us`/`ns` (epoch digits in that unit), or
 * `local` (text read as wall-clock time of the `--tz` zone unless it carries an offset).
 */
export type TimeFormat = "auto" | "iso" | "s" | "ms" | "us" | "ns" | "local";

export const TIME_FORMATS: readonly TimeFormat[] = ["auto", "iso", "s", "ms", "us", "ns", "local"];

/** Parses a `--time-format` value, refusing anything else by name. */
export function parseTimeFormat(text: string | undefined): TimeFormat {
  const f = (text ?? "auto").trim().toLowerCase();
  if ((TIME_FORMATS as readonly string[]).includes(f)) return f as TimeFormat;
  throw new InvalidArgumentError(`bad time format "${text}": expected one of ${TIME_FORMATS.join(", ")}`);
}

const HOUR_MS = 3_600_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Wall-clock time of one zone to UTC, with the conversion cached per local hour (offsets
 * change only on hour boundaries in every zone tickwright's data uses), so millions of
 * rows cost millions of map lookups, not `Intl` calls.
 */
export class LocalToUtc {
  private readonly hours = new Map<number, number>();
  private readonly utc: boolean;

  constructor(readonly timeZone: string) {
    zoneOffsetMs(timeZone, 0);
    this.utc = timeZone === "UTC" || timeZone === "Etc/UTC";
  }

  /** The UTC instant of `msOfDay` after local midnight of `day` (days since epoch). */
  toUtc(day: number, msOfDay: number): number {
    if (this.utc) return day * DAY_MS + msOfDay;
    const hour = Math.floor(msOfDay / HOUR_MS);
    const key = day * 24 + hour;
    let base = this.hours.get(key);
    if (base === undefined) {
      base = zonedToUtc(this.timeZone, day, hour * HOUR_MS);
      this.hours.set(key, base);
    }
    return base + (msOfDay - hour * HOUR_MS);
  }
}

/**
 * How a time field was written: epoch digits in seconds, ms, us or ns, ISO text with an
 * offset (or `Z`), ISO text without one (a wall-clock time), or a date alone. A file's
 * times are all of one form; a row of another form is rejected.
 */
export const TIME_FORM = {
  none: 0,
  s: 1,
  ms: 2,
  us: 3,
  ns: 4,
  offset: 5,
  naive: 6,
  date: 7,
} as const;

/** The name of a `TIME_FORM` in rejection reasons. */
export const TIME_FORM_NAMES = [
  "unreadable",
  "epoch seconds",
  "epoch milliseconds",
  "epoch microseconds",
  "epoch nanoseconds",
  "a time with a UTC offset",
  "a time without a UTC offset",
  "a date alone",
] as const;

const UNIT_FORM = { s: TIME_FORM.s, ms: TIME_FORM.ms, us: TIME_FORM.us, ns: TIME_FORM.ns } as const;

const UNIT_MS = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 } as const;
/** Digits after which the last k are below a millisecond: us 3, ns 6. */
const SUB_MS_DIGITS = { s: 0, ms: 0, us: 3, ns: 6 } as const;

function unitForDigits(n: number): keyof typeof UNIT_MS {
  if (n <= 11) return "s";
  if (n <= 14) return "ms";
  if (n <= 17) return "us";
  return "ns";
}

/**
 * Parses time fields straight from bytes into epoch ms UTC, noting the form of each
 * (`form`, a TIME_FORM). Returns NaN for anything it cannot read, and for a text time
 * without an offset when no zone is set (form `naive`: the caller says `--tz` is needed). A
 * bare date (`YYYY-MM-DD`) is midnight in the zone, or UTC when no zone is set; `day` holds
 * its days since epoch.
 */
export class TimeParser {
  private readonly local: LocalToUtc | null;
  /** The TIME_FORM of the last field parsed. */
  form: number = TIME_FORM.none;
  /** Days since epoch of the last field parsed when it was a date alone. */
  day = Number.NaN;

  constructor(
    readonly format: TimeFormat = "auto",
    readonly timeZone?: string,
  ) {
    if (format === "local" && !timeZone) {
      throw new InvalidArgumentError("--time-format local needs --tz ZONE (e.g. --tz America/New_York)");
    }
    this.local = timeZone ? new LocalToUtc(timeZone) : null;
  }

  /** Parses a string (the slow path, for Parquet text columns and quoted CSV fields). */
  parseText(text: string): number {
    const bytes = Buffer.from(text, "utf8");
    return this.parseBytes(bytes, 0, bytes.length);
  }

  /** Parses bytes [start, end) of `b`, ignoring surrounding spaces. */
  parseBytes(b: Uint8Array, start: number, end: number): number {
    let s = start;
    let e = end;
    while (s < e && b[s] === 32) s++;
    while (e > s && b[e - 1] === 32) e--;
    this.form = TIME_FORM.none;
    if (s === e) return Number.NaN;
    const f = this.format;
    const c0 = b[s];
    const digitsOnly = c0 >= 48 && c0 <= 57 && isEpochLike(b, s, e);
    if (f === "s" || f === "ms" || f === "us" || f === "ns") {
      if (!digitsOnly) return Number.NaN;
      this.form = UNIT_FORM[f];
      return epochMs(b, s, e, f);
    }
    if (digitsOnly && f === "auto") {
      const u = unitForDigits(intDigits(b, s, e));
      this.form = UNIT_FORM[u];
      return epochMs(b, s, e, u);
    }
    return this.parseIso(b, s, e);
  }

  private parseIso(b: Uint8Array, s: number, e: number): number {
    const n = e - s;
    if (n < 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return Number.NaN;
    const y = digits(b, s, 4);
    const mo = digits(b, s + 5, 2);
    const d = digits(b, s + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
    const day = daysFromCivil(y, mo, d);
    if (n === 10) {
      this.form = TIME_FORM.date;
      this.day = day;
      return this.local ? this.local.toUtc(day, 0) : day * DAY_MS;
    }
    let p = s + 10;
    const sep = b[p];
    if ((sep !== 84 && sep !== 116 && sep !== 32) || p + 6 > e || b[p + 3] !== 58) return Number.NaN;
    const hh = digits(b, p + 1, 2);
    const mi = digits(b, p + 4, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59) return Number.NaN;
    p += 6;
    let ms = hh * HOUR_MS + mi * 60_000;
    if (p < e && b[p] === 58) {
      const ss = p + 3 <= e ? digits(b, p + 1, 2) : -1;
      if (ss < 0 || ss > 59) return Number.NaN;
      ms += ss * 1000;
      p += 3;
      if (p < e && (b[p] === 46 || b[p] === 44)) {
        p++;
        let scale = 100;
        let frac = 0;
        const fs = p;
        while (p < e && b[p] >= 48 && b[p] <= 57) {
          frac += (b[p] - 48) * scale;
          scale /= 10;
          p++;
        }
        if (p === fs) return Number.NaN;
        ms += frac;
      }
    }
    if (p === e) {
      this.form = TIME_FORM.naive;
      return this.local ? this.local.toUtc(day, ms) : Number.NaN;
    }
    const z = b[p];
    if ((z === 90 || z === 122) && p + 1 === e) {
      this.form = TIME_FORM.offset;
      return day * DAY_MS + ms;
    }
    if (z !== 43 && z !== 45) return Number.NaN;
    const oh = p + 3 <= e ? digits(b, p + 1, 2) : -1;
    let om = 0;
    let q = p + 3;
    if (q < e && b[q] === 58) q++;
    if (q < e) {
      om = q + 2 === e ? digits(b, q, 2) : -1;
      q += 2;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || q !== e) return Number.NaN;
    const offset = (oh * 60 + om) * 60_000;
    this.form = TIME_FORM.offset;
    return day * DAY_MS + ms - (z === 45 ? -offset : offset);
  }
}

/** `count` ASCII digits at `at` as a number, or -1. */
function digits(b: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Digits with at most one decimal point. */
function isEpochLike(b: Uint8Array, s: number, e: number): boolean {
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 46) dots++;
    else if (c < 48 || c > 57) return false;
  }
  return dots <= 1;
}

/** Digits before the decimal point (all of them when there is none). */
function intDigits(b: Uint8Array, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === 46) return i - s;
  return e - s;
}

/** Epoch digits to ms, exact for integer ms: sub-ms digits are split off before scaling. */
function epochMs(b: Uint8Array, s: number, e: number, u: keyof typeof UNIT_MS): number {
  let dot = -1;
  for (let i = s; i < e; i++) if (b[i] === 46) dot = i;
  if (dot >= 0) {
    const v = Number(Buffer.from(b.subarray(s, e)).toString("latin1"));
    return v * UNIT_MS[u];
  }
  const k = SUB_MS_DIGITS[u];
  const split = Math.max(s, e - k);
  let hi = 0;
  for (let i = s; i < split; i++) hi = hi * 10 + (b[i] - 48);
  if (k === 0) return hi * UNIT_MS[u];
  let lo = 0;
  for (let i = split; i < e; i++) lo = lo * 10 + (b[i] - 48);
  return hi + lo / 10 ** k;
}
