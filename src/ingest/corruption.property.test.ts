import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Bar, columnsToBars } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { ingest } from "./ingest.js";

const dir = mkdtempSync(join(tmpdir(), "tw-corrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 2013-10-07 04:00 New York: the first minute of an extended session; rows take one minute each. */
const T0 = Date.parse("2013-10-07T08:00:00Z");
const iso = (t: number) => `${new Date(t).toISOString().slice(0, 19)}Z`;
const MAX_LINE = 2000;

/** Every kind of bad row the importer must refuse, each made from a good row. */
const CORRUPTIONS = [
  "extra field",
  "missing field",
  "unbalanced quote",
  "year 2150",
  "off the minute",
  "sub-millisecond",
  "saturday",
  "naive time",
  "bad number",
  "high below low",
  "negative volume",
  "duplicate",
  "bad symbol",
  "empty symbol",
  "long line",
] as const;
type Corruption = (typeof CORRUPTIONS)[number];

/** A good row as written (its symbol in any case). */
type GoodRow = Bar;

const line = (r: GoodRow, symbol = r.symbol, time = iso(r.time)) =>
  `${time},${symbol},${r.open},${r.high},${r.low},${r.close},${r.volume}`;

/** The row's text with the corruption applied; `earlier` is a good row already in the file. */
function corrupt(r: GoodRow, kind: Corruption, earlier: GoodRow | undefined): string {
  switch (kind) {
    case "extra field":
      return `${line(r)},7`;
    case "missing field":
      return line(r).replace(/,[^,]*$/, "");
    case "unbalanced quote":
      return `${line(r).replace(/,([^,]*)$/, ',"$1')}`;
    case "year 2150":
      return line(r, r.symbol, iso(r.time).replace("2013", "2150"));
    case "off the minute":
      return line(r, r.symbol, iso(r.time + 30_000));
    case "sub-millisecond":
      return line(r, r.symbol, iso(r.time).replace("Z", ".0004Z"));
    case "saturday":
      return line(r, r.symbol, iso(r.time - 2 * 86_400_000));
    case "naive time":
      return line(r, r.symbol, iso(r.time).replace("Z", ""));
    case "bad number":
      return line({ ...r, open: Number.NaN }).replace("NaN", "1.2.3");
    case "high below low":
      return line({ ...r, high: r.low - 1 });
    case "negative volume":
      return line({ ...r, volume: -r.volume - 1 });
    case "duplicate":
      return earlier ? line(r, earlier.symbol.toLowerCase(), iso(earlier.time)) : `${line(r)},7`;
    case "bad symbol":
      return line(r, `${r.symbol} X`);
    case "empty symbol":
      return line(r, "");
    case "long line":
      return `${line(r)}${"0".repeat(MAX_LINE)}`;
  }
}

const rowArb = fc.record({
  symbol: fc.constantFrom("SPY", "spy", "Qqq", "IBM", "brk.b"),
  open: fc.integer({ min: 1000, max: 100_000 }),
  spread: fc.integer({ min: 0, max: 500 }),
  volume: fc.integer({ min: 0, max: 1_000_000 }),
  corruption: fc.option(fc.constantFrom(...CORRUPTIONS), { freq: 3 }),
});

describe("ingest against a reference count (property)", () => {
  it("stores every good row with its exact values and rejects every bad row at its line", async () => {
    const repo = await openRepository(":memory:");
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 120 }), async (rows) => {
          const lines = ["time,symbol,open,high,low,close,volume"];
          const good: GoodRow[] = [];
          const bad: number[] = [];
          rows.forEach((g, i) => {
            const time = T0 + i * 60_000;
            const open = g.open / 100;
            const r: GoodRow = {
              symbol: g.symbol,
              time,
              open,
              high: (g.open + g.spread) / 100,
              low: (g.open - g.spread) / 100,
              close: open,
              volume: g.volume,
            };
            if (g.corruption === null) {
              good.push(r);
              lines.push(line(r));
            } else {
              lines.push(corrupt(r, g.corruption, good[good.length - 1]));
              bad.push(lines.length);
            }
          });
          const file = join(dir, `r${run++}.csv`);
          writeFileSync(file, `${lines.join("\n")}\n`);
          const summary = await ingest([file], {
            format: "csv",
            repository: repo,
            maxLineBytes: MAX_LINE,
            rejectsFile: join(dir, `r${run}.rejects.csv`),
          });
          expect(summary.failed).toEqual([]);
          expect(summary.rowsRead).toBe(rows.length);
          expect(summary.rejected).toBe(bad.length);
          expect(summary.rejects.map((x) => x.line)).toEqual(bad.slice(0, 100));
          const storedNow = columnsToBars(
            await repo.readBars({ symbols: [], interval: "1m", from: T0, to: T0 + 86_400_000 }),
          );
          const expected: Bar[] = good.map((r) => ({ ...r, symbol: r.symbol.toUpperCase() }));
          expected.sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : 1));
          // earlier runs wrote other rows on the same minutes; this run's rows replaced theirs
          const mine = new Set(expected.map((b) => `${b.symbol}@${b.time}`));
          expect(storedNow.filter((b) => mine.has(`${b.symbol}@${b.time}`))).toEqual(expected);
          for (const b of storedNow) expect(b.symbol).toBe(b.symbol.toUpperCase());
        }),
        { numRuns: 40 },
      );
    } finally {
      await repo.close();
    }
  }, 120_000);
});
