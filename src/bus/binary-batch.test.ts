import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Bar, barProblem, barsToColumns } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import { decodeBinaryBatch, encodeBinaryBatch, isBinaryBatch } from "./binary-batch.js";
import { batchLines, decodeBatchLine, encodeRawBatch } from "./codec.js";

const T0 = Date.parse("2024-01-02T14:30:00Z");

const price = fc.double({ min: -1, max: 1e6, noNaN: true });
const row = fc.record({
  symbol: fc.constantFrom("AAA", "BRK.B", "7203", "Ä€", "Z"),
  time: fc.integer({ min: 0, max: 10 }).map((k) => T0 + k * MINUTE_MS + (k === 7 ? 1 : 0)),
  open: price,
  high: price,
  low: price,
  close: price,
  volume: fc.double({ min: -1, max: 1e9, noNaN: true }),
});

/** The bar with each -0 as 0, as a JSON round trip gives it. */
const withoutNegativeZero = (b: Bar): Bar =>
  Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])) as unknown as Bar;

/** What a shard keeps of rows: the owned ones that are bars, by the raw line checks. */
function reference(rows: readonly Bar[], owns: (s: string) => boolean) {
  const kept: Bar[] = [];
  const rejected: { index: number; reason: string }[] = [];
  rows.forEach((r, index) => {
    if (!owns(r.symbol)) return;
    const reason =
      r.time % MINUTE_MS !== 0
        ? "field time: not on a minute boundary"
        : barProblem(r.open, r.high, r.low, r.close, r.volume);
    if (reason) rejected.push({ index, reason });
    else kept.push(r);
  });
  return { kept, rejected };
}

describe("binary raw batches", () => {
  it("decode to the owned rows that pass the raw line checks, the others rejected by place and reason (property, against the JSON lines)", () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 40 }),
        fc.subarray(["AAA", "BRK.B", "7203", "Ä€", "Z"]),
        fc.option(fc.integer({ min: 1, max: 20 }).map((k) => T0 + k * MINUTE_MS)),
        (rows, ownedList, clock) => {
          const owns = (s: string) => ownedList.includes(s);
          const data = encodeBinaryBatch(barsToColumns(rows), 0, rows.length, clock ?? undefined);
          expect(isBinaryBatch(data)).toBe(true);
          const d = decodeBinaryBatch(data, owns);
          if (typeof d === "string") throw new Error(d);
          const ref = reference(rows, owns);
          const got = Array.from({ length: d.bars.length }, (_, i) => ({
            symbol: d.bars.symbol[i],
            time: d.bars.time[i],
            open: d.bars.open[i],
            high: d.bars.high[i],
            low: d.bars.low[i],
            close: d.bars.close[i],
            volume: d.bars.volume[i],
          }));
          expect(got).toEqual(ref.kept);
          expect(d.rejected.map(({ index, reason }) => ({ index, reason }))).toEqual(ref.rejected);
          expect(d.clock).toBe(clock ?? undefined);
          // The JSON form of the same rows keeps the same bars; JSON writes -0 as 0.
          const json = batchLines(encodeRawBatch(barsToColumns(rows), 0, rows.length))
            .filter((l) => l.length > 0)
            .map((l) => decodeBatchLine(l, owns))
            .flatMap((m) => (m.type === "bar" ? [m.bar] : []));
          expect(json).toEqual(ref.kept.map(withoutNegativeZero));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a rejected row's dead letter is its values as a raw bar line", () => {
    const rows = [
      { symbol: "AAA", time: T0, open: 10, high: 11, low: 9, close: 10.5, volume: 100 },
      { symbol: "AAA", time: T0, open: 10, high: 1, low: 9, close: 10.5, volume: 100 },
    ];
    const d = decodeBinaryBatch(encodeBinaryBatch(barsToColumns(rows), 0, 2), () => true);
    if (typeof d === "string") throw new Error(d);
    expect(d.bars.length).toBe(1);
    expect(d.rejected).toEqual([
      {
        index: 1,
        reason: "high below low",
        text: `{"type":"bar","symbol":"AAA","time":${T0},"open":10,"high":1,"low":9,"close":10.5,"volume":100}`,
      },
    ]);
  });

  it("a cut or garbled message is rejected whole, with the reason", () => {
    const data = encodeBinaryBatch(
      barsToColumns([{ symbol: "AAA", time: T0, open: 1, high: 1, low: 1, close: 1, volume: 1 }]),
      0,
      1,
    );
    expect(decodeBinaryBatch(data.subarray(0, 40), () => true)).toBe(
      "binary batch: 1 rows do not fit in 40 bytes",
    );
    expect(decodeBinaryBatch(data.subarray(0, data.length - 1), () => true)).toBe(
      "binary batch: symbol 0 of 1 past the end",
    );
    expect(decodeBinaryBatch(new TextEncoder().encode('{"type":"bar"}'), () => true)).toBe(
      "not a binary batch (TWB1 header)",
    );
    expect(isBinaryBatch(new Uint8Array([0x54, 0x57]))).toBe(false);
  });
});
