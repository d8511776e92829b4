import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calendarFromJson, getCalendar } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import { BarFlag, barProblem, type SessionBar } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { MINUTE_MS, zoneOffsetMs } from "../model/time.js";
import { DerivedBarBuilder } from "./builder.js";
import { deriveBars } from "./derive.js";

const xnys = getCalendar("XNYS");
/** A market with a lunch break and extended hours, and a morning-only day (2024-01-12). */
const lunch = calendarFromJson({
  name: "LUNCH",
  timeZone: "Asia/Tokyo",
  from: "2024-01-01",
  to: "2024-01-31",
  weekly: Object.fromEntries(
    ["mon", "tue", "wed", "thu", "fri"].map((d) => [
      d,
      { pre: "08:00", open: "09:00", breakStart: "11:30", breakEnd: "12:35", close: "15:25", post: "16:10" },
    ]),
  ),
  earlyCloses: { "2024-01-12": "11:00" },
});
/**
 * Calendars and the sessions to draw from: XNYS plain days, an early close, either side of a
 * DST change; the lunch market's broken sessions and its morning-only day.
 */
const CASES: { cal: Calendar; sessions: Session[] }[] = [
  {
    cal: xnys,
    sessions: ["2013-10-04", "2013-10-07", "2013-11-01", "2013-11-04", "2013-11-29"].map(
      (d) => xnys.sessionOn(d)!,
    ),
  },
  { cal: lunch, sessions: ["2024-01-10", "2024-01-11", "2024-01-12"].map((d) => lunch.sessionOn(d)!) },
];
const INTERVALS = [
  "1m",
  "2m",
  "3m",
  "5m",
  "8m",
  "10m",
  "15m",
  "30m",
  "45m",
  "60m",
  "96m",
  "160m",
  "480m",
  "1d",
];

type Opts = { anchor: "session" | "clock"; extended: boolean };

/** The regular segments of a session: [open, close), or the two sides of its break. */
function regular(s: Session): [number, number][] {
  return s.breakStart === undefined
    ? [[s.open, s.close]]
    : [
        [s.open, s.breakStart],
        [s.breakEnd as number, s.close],
      ];
}

/** Reference: each bar's bucket by direct arithmetic, grouped in a Map. */
function bruteForce(
  bars: SessionBar[],
  interval: string,
  calendar: Calendar,
  SESSIONS: Session[],
  opts: Opts,
  upTo: number,
) {
  const iv = parseInterval(interval);
  const groups = new Map<number, { bars: SessionBar[]; end: number; expected: number }>();
  for (const bar of bars) {
    if (bar.time + MINUTE_MS > upTo) continue;
    const s = SESSIONS.find((x: Session) => bar.time >= x.preOpen && bar.time < x.postClose);
    if (!s) continue;
    const segments: [number, number][] = iv.daily
      ? regular(s)
      : opts.extended
        ? [[s.preOpen, s.open], ...regular(s), [s.close, s.postClose]]
        : regular(s);
    const seg = segments.find(([a, b]) => bar.time >= a && bar.time < b);
    if (!seg) continue;
    let start: number;
    let end: number;
    if (iv.daily) {
      [start, end] = [s.open, s.close];
    } else if (opts.anchor === "session") {
      start = seg[0] + Math.floor((bar.time - seg[0]) / iv.ms) * iv.ms;
      end = Math.min(start + iv.ms, seg[1]);
    } else {
      const off = zoneOffsetMs(calendar.timeZone, bar.time);
      const local = Math.floor((bar.time + off) / iv.ms) * iv.ms;
      start = Math.max(local - off, seg[0]);
      end = Math.min(local + iv.ms - off, seg[1]);
    }
    const g: { bars: SessionBar[]; end: number; expected: number } = groups.get(start) ?? {
      bars: [],
      end,
      expected: iv.daily ? calendar.minuteCount(s) : 0,
    };
    g.bars.push(bar);
    groups.set(start, g);
  }
  return [...groups.entries()].map(([start, { bars: g, end, expected }]) => ({
    time: start,
    open: g[0].open,
    high: Math.max(...g.map((b) => b.high)),
    low: Math.min(...g.map((b) => b.low)),
    close: g[g.length - 1].close,
    volume: g.reduce((a, b) => a + b.volume, 0),
    flags: g.reduce((a, b) => a | b.flags, 0) | (end > upTo ? BarFlag.Partial : 0),
    count: g.length,
    expected: expected || (end - start) / MINUTE_MS,
    end,
  }));
}

const plain = (bars: SessionBar[]) => bars.map(({ symbol, interval, ...rest }) => rest);

/**
 * Random one-minute bars over the extended hours of 1-3 sessions of one calendar (its
 * breaks included: bars there must be ignored), some minutes dropped.
 */
const arbSeries = (SESSIONS: Session[]) =>
  fc
    .record({
      sessions: fc.subarray(SESSIONS, { minLength: 1 }),
      keep: fc.double({ min: 0.05, max: 1, noNaN: true }),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
    })
    .map(({ sessions, keep, seed }) => {
      let x = seed;
      const rnd = () => {
        x = (x * 48271) % 2147483647;
        return x / 2147483647;
      };
      const series = new BarSeries("TEST", "1m", 16);
      let price = 100;
      for (const s of sessions) {
        for (let t = s.preOpen; t < s.postClose; t += MINUTE_MS) {
          if (rnd() > keep) continue;
          const open = price;
          // A walk over thousands of minutes: floored at $1 so it never reaches a negative price.
          const close = Math.max(1, Math.round((price + (rnd() - 0.5) * 2) * 100) / 100);
          const high = Math.max(open, close) + Math.round(rnd() * 50) / 100;
          const low = Math.min(open, close) - Math.round(rnd() * 50) / 100;
          const flags = rnd() < 0.05 ? BarFlag.Filled : rnd() < 0.02 ? BarFlag.Synthetic : 0;
          series.push(t, open, high, low, close, Math.floor(rnd() * 10_000), flags);
          price = close;
        }
      }
      return series;
    });

const arbOpts = fc.record({
  anchor: fc.constantFrom("session" as const, "clock" as const),
  extended: fc.boolean(),
});

for (const { cal, sessions: SESSIONS } of CASES)
  describe(`${cal.name} derived bars: incremental = batch = brute force`, () => {
    const arbSeriesOf = arbSeries(SESSIONS);
    it("batch equals brute force on random series with random gaps and intervals", () => {
      fc.assert(
        fc.property(arbSeriesOf, fc.constantFrom(...INTERVALS), arbOpts, (series, interval, opts) => {
          const got = deriveBars(series, interval, cal, opts).toBars();
          const want = bruteForce(series.toBars(), interval, cal, SESSIONS, opts, Number.POSITIVE_INFINITY);
          expect(plain(got)).toEqual(want.map(({ end, ...b }) => b));
          for (const b of got) expect(barProblem(b.open, b.high, b.low, b.close, b.volume)).toBeNull();
        }),
        { numRuns: 150 },
      );
    });

    it("batch up to a random clock flags the forming bucket partial and ignores bars not yet ended", () => {
      fc.assert(
        fc.property(
          arbSeriesOf,
          fc.constantFrom(...INTERVALS),
          arbOpts,
          fc.double({ min: 0, max: 1, noNaN: true }),
          (series, interval, opts, at) => {
            const first = series.time[0];
            const last = series.time[series.length - 1] + MINUTE_MS;
            const upTo = Math.round((first + (last - first) * at) / MINUTE_MS) * MINUTE_MS;
            const want = bruteForce(series.toBars(), interval, cal, SESSIONS, opts, upTo);
            expect(plain(deriveBars(series, interval, cal, { ...opts, upTo }).toBars())).toEqual(
              want.map(({ end, ...b }) => b),
            );
            expect(
              plain(deriveBars(series, interval, cal, { ...opts, upTo, partial: "omit" }).toBars()),
            ).toEqual(want.filter((b) => b.end <= upTo).map(({ end, ...b }) => b));
          },
        ),
        { numRuns: 150 },
      );
    });

    it("the builder, driven event by event like the engine, equals batch and completes no bar before its end", () => {
      fc.assert(
        fc.property(arbSeriesOf, fc.constantFrom(...INTERVALS), arbOpts, (series, interval, opts) => {
          const builder = new DerivedBarBuilder("TEST", interval, cal, { ...opts, capacity: 2 });
          const completedAt: number[] = [];
          let early = 0;
          let i = 0;
          // The clock jumps to the next event: a bar's end (the bar is delivered then) or the
          // forming bucket's end (a timer flushes it). Data before timers at equal times.
          for (;;) {
            const nextBarEnd = i < series.length ? series.time[i] + MINUTE_MS : Number.POSITIVE_INFINITY;
            const now = Math.min(nextBarEnd, builder.formingEnd);
            if (now === Number.POSITIVE_INFINITY) break;
            for (; i < series.length && series.time[i] + MINUTE_MS <= now; i++) {
              const n = builder.add(
                series.time[i],
                series.open[i],
                series.high[i],
                series.low[i],
                series.close[i],
                series.volume[i],
                series.flags[i],
              );
              for (let k = 0; k < n; k++) completedAt.push(now);
            }
            const flushed = builder.flushUpTo(now);
            for (let k = 0; k < flushed; k++) completedAt.push(now);
            if (builder.formingEnd <= now) early++;
            const partial = builder.partial();
            if (partial && !(partial.flags & BarFlag.Partial)) early++;
          }
          expect(early).toBe(0);
          const batch = deriveBars(series, interval, cal, opts);
          expect(plain(builder.series.toBars())).toEqual(plain(batch.toBars()));
          expect(completedAt.length).toBe(builder.series.length);
          const want = bruteForce(series.toBars(), interval, cal, SESSIONS, opts, Number.POSITIVE_INFINITY);
          want.forEach((b, k) => {
            expect(completedAt[k]).toBeGreaterThanOrEqual(b.end);
          });
        }),
        { numRuns: 150 },
      );
    });

    it("the builder's completed bars and partial equal batch at every clock time", () => {
      fc.assert(
        fc.property(
          arbSeriesOf,
          fc.constantFrom(...INTERVALS),
          arbOpts,
          fc.double({ min: 0, max: 1, noNaN: true }),
          (series, interval, opts, at) => {
            const first = series.time[0];
            const last = series.time[series.length - 1] + MINUTE_MS;
            const upTo = Math.round((first + (last - first) * at) / MINUTE_MS) * MINUTE_MS;
            const builder = new DerivedBarBuilder("TEST", interval, cal, opts);
            builder.rebuild(series, upTo);
            const partial = builder.partial();
            const got = [...builder.series.toBars(), ...(partial ? [partial] : [])];
            expect(plain(got)).toEqual(plain(deriveBars(series, interval, cal, { ...opts, upTo }).toBars()));
          },
        ),
        { numRuns: 150 },
      );
    });
  });
