import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocBarColumns } from "../model/bar.js";
import { formatDay, parseDate, zonedToUtc } from "../model/time.js";
import { planBars, planRows, tickerPlan } from "./security-bars.js";
import type { TickerSpan } from "./tickers.js";

const TZ = "America/New_York";
const DAY0 = parseDate("2024-03-04");
const TICKERS = ["AA", "BB", "CC", "DD", "EE"];

/** Stored rows: (day index, minute of the day, ticker) of 4 days x 3 minutes x 5 tickers, some left out. */
const storedRows = fc.subarray(
  Array.from({ length: 4 * 3 * TICKERS.length }, (_, i) => ({
    day: Math.floor(i / 15),
    minute: Math.floor(i / 5) % 3,
    ticker: TICKERS[i % 5],
  })),
);

/** A security's tickers: a ticker per day (consecutive equal ones merged into one span). */
const securityTickers = fc.array(fc.constantFrom(...TICKERS), { minLength: 4, maxLength: 4 });

function spansOf(perDay: readonly string[]): TickerSpan[] {
  const spans: TickerSpan[] = [];
  perDay.forEach((ticker, d) => {
    const date = formatDay(DAY0 + d);
    const last = spans[spans.length - 1];
    if (last && last.ticker === ticker) last.to = date;
    else spans.push({ ticker, from: date, to: date });
  });
  spans[0].from = "0000-00-00";
  spans[spans.length - 1].to = "9999-99-99";
  return spans;
}

const timeOf = (day: number, minute: number) => zonedToUtc(TZ, DAY0 + day, 0) + (10 * 60 + minute) * 60_000;

describe("reading securities across renames", () => {
  it("gives each security the rows of the ticker it had on each date, ordered by (time, symbol), as a brute force does", () => {
    fc.assert(
      fc.property(
        storedRows,
        fc.uniqueArray(fc.constantFrom<string>("AA", "BB", "CC", "XX", "YY"), { minLength: 1, maxLength: 3 }),
        fc.array(securityTickers, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (rows, symbols, tickers, fromDay, days) => {
          const history = new Map(symbols.map((s, i) => [s, tickers[i]]));
          const stored = rows
            .map((r) => ({ symbol: r.ticker, time: timeOf(r.day, r.minute), price: r.day * 100 + r.minute }))
            .sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : 1));
          const from = timeOf(fromDay, 0);
          const to = timeOf(Math.min(4, fromDay + days), 0);
          const inRange = stored.filter((r) => r.time >= from && r.time < to);
          const want = symbols
            .flatMap((symbol) =>
              inRange
                .filter(
                  (r) => history.get(symbol)![Math.floor((r.time - timeOf(0, 0)) / 86_400_000)] === r.symbol,
                )
                .map((r) => ({ ...r, symbol })),
            )
            .sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : 1));
          const plan = tickerPlan(symbols, (s) => spansOf(history.get(s)!), from, to, TZ);
          if (!plan) {
            // A plain read: every symbol had its own ticker over the range.
            expect(inRange.filter((r) => symbols.includes(r.symbol))).toEqual(want);
            return;
          }
          const read = inRange.filter((r) => plan.tickers.includes(r.symbol));
          expect(planRows(read, plan)).toEqual(want);
          const columns = allocBarColumns(read.length);
          read.forEach((r, i) => {
            columns.symbol[i] = r.symbol;
            columns.time[i] = r.time;
            columns.close[i] = r.price;
          });
          columns.length = read.length;
          const bars = planBars(columns, plan);
          expect(
            Array.from({ length: bars.length }, (_, i) => [bars.symbol[i], bars.time[i], bars.close[i]]),
          ).toEqual(want.map((r) => [r.symbol, r.time, r.price]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
