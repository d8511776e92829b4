import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { BarColumns } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { BarBatcher } from "./batcher.js";
import { parseNumber } from "./bytes.js";
import { importCsvBars } from "./csv.js";
import { Rejects } from "./rejects.js";
import { TimeRule } from "./time-rule.js";
import { TimeParser } from "./timestamps.js";

/** 2024-01-02 09:30 New York; row i is minute i of that session. */
const T0 = Date.parse("2024-01-02T14:30:00Z");
const iso = (i: number) => new Date(T0 + i * 60_000).toISOString().replace(".000Z", "Z");

/** Number fields of every form: plain decimals (read while the line is scanned) and the rest. */
const field = fc.oneof(
  fc.stringMatching(/^[+-]?[0-9]{0,9}(\.[0-9]{0,8})?$/),
  fc.constantFrom("", " 12", "12 ", "1e3", "1.2.3", ".", "-", "12a", "1234567890123456", "0x10", "inf"),
);

async function read(text: string, chunk: number) {
  const stored: BarColumns[] = [];
  const batcher = new BarBatcher(
    new TimeRule(getCalendar("XNYS"), parseInterval("1m")),
    7,
    async (_i, cols) => {
      stored.push({ ...cols, symbol: cols.symbol.slice(0, cols.length) });
      return cols.length;
    },
  );
  const rejects = new Rejects(null, 1_000_000);
  const bytes = Buffer.from(text);
  const source = (async function* () {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  })();
  await importCsvBars(source, { file: "n.csv", time: new TimeParser("auto"), batcher, rejects });
  await batcher.finish();
  return { stored, rejects };
}

describe("numbers read while a CSV line is scanned", () => {
  it("store what parseNumber reads from each field, and reject the same rows (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 40 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (rows, eol, lastEol, chunk) => {
          const lines = rows.map(
            ([open, close, volume], i) => `${iso(i)},AAA,${open},1000000,0,${close},${volume}`,
          );
          const text = `time,symbol,open,high,low,close,volume${eol}${lines.join(eol)}${lastEol ? eol : ""}`;
          const { stored, rejects } = await read(text, chunk);
          const expected = rows.flatMap(([open, close, volume], i) => {
            const v = [open, close, volume].map((f) => parseNumber(Buffer.from(f), 0, f.length));
            const price = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1_000_000;
            return price(v[0]) && price(v[1]) && Number.isFinite(v[2]) && v[2] >= 0
              ? [[T0 + i * 60_000, ...v]]
              : [];
          });
          const got = stored.flatMap((c) =>
            Array.from({ length: c.length }, (_, k) => [c.time[k], c.open[k], c.close[k], c.volume[k]]),
          );
          expect(got).toEqual(expected);
          expect(rejects.count).toBe(rows.length - expected.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
