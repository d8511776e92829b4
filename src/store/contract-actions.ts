import { expect, it } from "vitest";
import type { CorporateAction, Repository } from "./types.js";

/** A split of `ratio` for one. */
function split(symbol: string, date: string, ratio: number): CorporateAction {
  return { symbol, date, kind: "split", value: ratio, factor: 1 / ratio, reference: Number.NaN };
}

function dividend(symbol: string, date: string, cash: number, reference: number): CorporateAction {
  return { symbol, date, kind: "dividend", value: cash, factor: 1 - cash / reference, reference };
}

function rename(symbol: string, date: string, previous: string): CorporateAction {
  return { symbol, date, kind: "rename", value: Number.NaN, factor: 1, reference: Number.NaN, previous };
}

/**
 * The corporate-actions part of the Repository contract, run inside `repositoryContract`
 * (`repo` gives the case's fresh repository).
 */
export function actionsContract(repo: () => Repository): void {
  it("round-trips corporate actions ordered by (date, symbol, kind), absent numbers as NaN", async () => {
    const written = [
      split("AAPL", "2014-06-09", 7),
      dividend("AAPL", "2014-05-08", 3.29, 592.33),
      rename("TWX", "2003-10-16", "AOL"),
      dividend("SPY", "2014-06-09", 0.1 + 0.2, 194.1234567891234),
    ];
    expect(await repo().writeActions(written)).toBe(4);
    const back = await repo().readActions({ symbols: [] });
    expect(back).toEqual([written[2], written[1], written[0], written[3]]);
    expect(Object.keys(back[1]).sort()).toEqual(["date", "factor", "kind", "reference", "symbol", "value"]);
    expect(back[2].factor).toBe(1 / 7);
  });

  it("reads actions of the asked symbols within [from, to], both dates included", async () => {
    const all = [
      dividend("SPY", "2013-09-20", 0.8, 170.1),
      dividend("SPY", "2013-12-20", 0.9, 180.2),
      dividend("SPY", "2014-03-21", 0.95, 185.3),
      split("AAPL", "2014-06-09", 7),
    ];
    await repo().writeActions(all);
    expect(await repo().readActions({ symbols: ["SPY"], from: "2013-09-20", to: "2013-12-20" })).toEqual([
      all[0],
      all[1],
    ]);
    expect(await repo().readActions({ symbols: ["AAPL", "QQQ"], from: "2014-01-01" })).toEqual([all[3]]);
    expect(await repo().readActions({ symbols: [], to: "2013-09-20" })).toEqual([all[0]]);
    expect(await repo().readActions({ symbols: ["QQQ"] })).toEqual([]);
  });

  it("replaces an action written again under its key and keeps the last of a key repeated in a batch", async () => {
    await repo().writeActions([split("AAPL", "2014-06-09", 7), dividend("AAPL", "2014-06-09", 0.47, 94)]);
    const replacement = split("AAPL", "2014-06-09", 4);
    expect(await repo().writeActions([split("AAPL", "2014-06-09", 2), replacement])).toBe(1);
    expect(await repo().readActions({ symbols: ["AAPL"] })).toEqual([
      dividend("AAPL", "2014-06-09", 0.47, 94),
      replacement,
    ]);
    expect(await repo().writeActions([])).toBe(0);
  });
}
