import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocBarColumns } from "../model/bar.js";
import { BarSeries, placeBySymbol } from "../model/series.js";
import { SymbolRows, SymbolState } from "./symbol-state.js";

const M = 60_000;

type Op =
  | { kind: "append"; step: number }
  | { kind: "read" }
  | { kind: "insert"; back: number }
  | { kind: "clear" }
  | { kind: "replace" };

/** Row 0 of a one-row batch holding the bar of minute `t`. */
function rowOf(t: number) {
  const rows = allocBarColumns(1);
  rows.time[0] = t;
  rows.open[0] = t / M + 0.25;
  rows.high[0] = t / M + 2;
  rows.low[0] = t / M - 1;
  rows.close[0] = t / M + 1;
  rows.volume[0] = t / M;
  rows.flags[0] = (t / M) % 3;
  return rows;
}

describe("SymbolState", () => {
  it("shows every appended bar to whoever reads its series, and knows the last bar's time through reads, fills, clears and a new series", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.record({
                kind: fc.constant("append" as const),
                step: fc.integer({ min: 1, max: 3 }),
              }),
            },
            { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const) }) },
            {
              weight: 1,
              arbitrary: fc.record({
                kind: fc.constant("insert" as const),
                back: fc.integer({ min: -2, max: 5 }),
              }),
            },
            { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
            { weight: 1, arbitrary: fc.record({ kind: fc.constant("replace" as const) }) },
          ),
          { maxLength: 120 },
        ),
        (ops: Op[]) => {
          const s = new SymbolState("X", 0);
          let model: number[] = [];
          let t = 0;
          for (const op of ops) {
            if (op.kind === "append") {
              t = (model.at(-1) ?? t) + op.step * M;
              s.append(rowOf(t), 0, true, t + M);
              model.push(t);
            } else if (op.kind === "read") {
              expect(Array.from(s.bars.time.subarray(0, s.bars.length))).toEqual(model);
            } else if (op.kind === "insert") {
              // A fill: a bar put in the series from outside, before or after the last one.
              const at = (model.at(-1) ?? 10 * M) - op.back * M;
              const r = rowOf(at);
              const fresh = !model.includes(at);
              expect(s.bars.insert(at, r.open[0], r.high[0], r.low[0], r.close[0], r.volume[0], 4)).toBe(
                fresh,
              );
              if (fresh) model = [...model, at].sort((a, b) => a - b);
            } else if (op.kind === "clear") {
              s.bars.clear();
              model = [];
            } else {
              s.bars = new BarSeries("X", "1m", 2);
              model = [];
            }
            expect(s.lastBarTime()).toBe(
              model.length > 0 ? model[model.length - 1] : Number.NEGATIVE_INFINITY,
            );
          }
          const bars = s.bars;
          expect(Array.from(bars.time.subarray(0, bars.length))).toEqual(model);
          for (let i = 0; i < bars.length; i++) {
            const r = rowOf(model[i]);
            if (bars.flags[i] === 4) continue;
            expect(bars.at(i)).toEqual({
              symbol: "X",
              interval: "1m",
              time: model[i],
              open: r.open[0],
              high: r.high[0],
              low: r.low[0],
              close: r.close[0],
              volume: r.volume[0],
              flags: r.flags[0],
              count: 1,
              expected: 1,
            });
          }
        },
      ),
    );
  });

  it("counts appended bars' session figures as they land", () => {
    const s = new SymbolState("X", 0);
    for (const m of [1, 2, 3]) s.append(rowOf(m * M), 0, m !== 2, m * M + M);
    expect({
      open: s.open,
      high: s.high,
      low: s.low,
      last: s.last,
      volume: s.volume,
      present: s.present,
    }).toEqual({ open: 1.25, high: 5, low: 0, last: 4, volume: 6, present: 2 });
    expect(s.bars.length).toBe(3);
  });

  it("keeps each symbol's bars and figures apart when many states share one table, through its growth", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.nat({ max: 19 }),
            step: fc.integer({ min: 1, max: 3 }),
            regular: fc.boolean(),
          }),
          {
            maxLength: 300,
          },
        ),
        (ops) => {
          const table = new SymbolRows();
          const states = Array.from({ length: 20 }, (_, id) => new SymbolState(`S${id}`, id, table));
          const model: { t: number; regular: boolean; now: number }[][] = states.map(() => []);
          for (const op of ops) {
            const t = (model[op.who].at(-1)?.t ?? 0) + op.step * M;
            const now = t + M + op.who;
            states[op.who].append(rowOf(t), 0, op.regular, now);
            model[op.who].push({ t, regular: op.regular, now });
          }
          for (const [id, s] of states.entries()) {
            const rows = model[id].map((m) => rowOf(m.t));
            const typical = rows.map((r) => r.volume[0] * ((r.high[0] + r.low[0] + r.close[0]) / 3));
            expect({
              times: Array.from(s.bars.time.subarray(0, s.bars.length)),
              open: s.open,
              high: s.high,
              low: s.low,
              last: s.last,
              volume: s.volume,
              pv: s.pv,
              lastUpdate: s.lastUpdate,
              present: s.present,
            }).toEqual({
              times: model[id].map((m) => m.t),
              open: rows.length > 0 ? rows[0].open[0] : Number.NaN,
              high: Math.max(...rows.map((r) => r.high[0])),
              low: Math.min(...rows.map((r) => r.low[0])),
              last: rows.at(-1)?.close[0] ?? Number.NaN,
              volume: rows.reduce((a, r) => a + r.volume[0], 0),
              pv: typical.reduce((a, x) => a + x, 0),
              lastUpdate: model[id].at(-1)?.now ?? Number.NaN,
              present: model[id].filter((m) => m.regular).length,
            });
          }
        },
      ),
    );
  });

  it("counts the rows of a placed batch into its series and holds the same bars as appending them, through rejected rows, fills, reads and clears", () => {
    type Step = { kind: "land" } | { kind: "skip" } | { kind: "fill" } | { kind: "read" } | { kind: "clear" };
    const step = fc.oneof(
      { weight: 12, arbitrary: fc.constant<Step>({ kind: "land" }) },
      { weight: 2, arbitrary: fc.constant<Step>({ kind: "skip" }) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "fill" }) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "read" }) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "clear" }) },
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.nat({ max: 3 }), gap: fc.integer({ min: 0, max: 2 }), step }), {
          maxLength: 120,
        }),
        (rows) => {
          // a batch: each row a minute of one of four symbols (ids as codes), in time order per symbol
          const n = rows.length;
          const batch = allocBarColumns(n);
          batch.length = n;
          const code = new Int32Array(n);
          const last = [0, 0, 0, 0];
          for (const [i, r] of rows.entries()) {
            const t = (last[r.id] += (1 + r.gap) * M);
            batch.time[i] = t;
            batch.open[i] = r.id * 1000 + t / M + 0.25;
            batch.high[i] = r.id * 1000 + t / M + 2;
            batch.low[i] = r.id * 1000 + t / M - 1;
            batch.close[i] = r.id * 1000 + t / M + 1;
            batch.volume[i] = t / M + r.id;
            batch.flags[i] = (t / M + r.id) % 3;
            code[i] = r.id;
          }
          const placed = placeBySymbol({ ...batch, code });
          const table = new SymbolRows();
          const states = [0, 1, 2, 3].map((id) => new SymbolState(`S${id}`, id, table));
          const model: { time: number; row: number }[][] = [[], [], [], []];
          for (const [i, r] of rows.entries()) {
            const s = states[r.id];
            const kind = r.step.kind;
            if (kind === "skip") continue;
            if (kind === "fill") {
              const at = batch.time[i] - M / 2;
              s.bars.insert(at, 1, 1, 1, 1, 1, 4);
              model[r.id].push({ time: at, row: -1 });
              model[r.id].sort((a, b) => a.time - b.time);
            } else if (kind === "read") {
              expect(Array.from(s.bars.time.subarray(0, s.bars.length))).toEqual(
                model[r.id].map((m) => m.time),
              );
            } else if (kind === "clear") {
              s.bars.clear();
              model[r.id] = [];
              continue;
            }
            s.append(batch, i, true, batch.time[i] + M, placed);
            model[r.id].push({ time: batch.time[i], row: i });
          }
          for (const [id, s] of states.entries()) {
            const bars = s.bars;
            expect(bars.length).toBe(model[id].length);
            for (const [k, m] of model[id].entries()) {
              const i = m.row;
              const want =
                i < 0
                  ? { time: m.time, open: 1, high: 1, low: 1, close: 1, volume: 1, flags: 4 }
                  : {
                      time: batch.time[i],
                      open: batch.open[i],
                      high: batch.high[i],
                      low: batch.low[i],
                      close: batch.close[i],
                      volume: batch.volume[i],
                      flags: batch.flags[i],
                    };
              expect(bars.at(k)).toEqual({
                symbol: `S${id}`,
                interval: "1m",
                ...want,
                count: 1,
                expected: 1,
              });
            }
          }
        },
      ),
    );
  });
});
