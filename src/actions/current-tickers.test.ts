import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { renameAction as rename } from "../testing/actions.js";
import { sessionBars } from "../testing/bars.js";
import { currentTickers } from "./current-tickers.js";

const XNYS = getCalendar("XNYS");
const TZ = XNYS.timeZone;

/** Made-up minutes of `symbol` on each date. */
const bars = (symbol: string, dates: readonly string[]) =>
  barsToColumns(dates.flatMap((d) => sessionBars(XNYS, XNYS.sessionOn(d)!, symbol)));

describe("currentTickers", () => {
  let repository: Repository;
  beforeEach(async () => {
    repository = await openRepository(":memory:");
  });
  afterEach(async () => {
    await repository.close();
  });

  it("passes tickers through, sorted and distinct, when nothing was ever renamed", async () => {
    await repository.writeBars("1m", bars("BBB", ["2024-03-04"]));
    await repository.writeActions([
      { symbol: "BBB", date: "2024-03-05", kind: "split", value: 2, factor: 0.5, reference: Number.NaN },
    ]);
    expect(await currentTickers(repository, ["BBB", "AAA", "BBB"], TZ)).toEqual(["AAA", "BBB"]);
  });

  it("names a security renamed twice by its last ticker, whatever the dates, beside a symbol never renamed", async () => {
    // AOLD became ANEW on 03-07 and CNEW on 03-12.
    await repository.writeBars("1m", bars("AOLD", ["2024-03-04", "2024-03-06"]));
    await repository.writeBars("1m", bars("ANEW", ["2024-03-07", "2024-03-11"]));
    await repository.writeBars("1m", bars("CNEW", ["2024-03-12", "2024-03-14"]));
    await repository.writeBars("1m", bars("BMID", ["2024-03-04", "2024-03-14"]));
    await repository.writeActions([
      rename("ANEW", "2024-03-07", "AOLD"),
      rename("CNEW", "2024-03-12", "ANEW"),
    ]);
    const all = ["ANEW", "AOLD", "BMID", "CNEW"];
    for (const [from, to] of [
      [undefined, undefined],
      ["2024-03-04", "2024-03-14"],
      ["2024-03-04", "2024-03-06"],
      ["2024-03-08", "2024-03-11"],
      ["2024-03-13", "2024-03-14"],
    ]) {
      expect(await currentTickers(repository, all, TZ, from, to), `${from}..${to}`).toEqual(["BMID", "CNEW"]);
    }
    // Only the earliest ticker has bars in 03-04..03-06: the security is still CNEW.
    expect(await currentTickers(repository, ["AOLD"], TZ, "2024-03-04", "2024-03-06")).toEqual(["CNEW"]);
  });

  it("gives way to the new ticker when no bar is stored under it (only the old ticker's bars are)", async () => {
    await repository.writeBars("1m", bars("AOL", ["2003-10-14", "2003-10-15"]));
    await repository.writeActions([rename("TWX", "2003-10-16", "AOL")]);
    expect(await currentTickers(repository, ["AOL"], TZ, "2003-10-14", "2003-10-15")).toEqual(["TWX"]);
  });

  it("keeps an old ticker taken again by another security when bars are stored under it after the rename, in the dates asked", async () => {
    // AOL became TWX on 2003-10-16; another AOL traded from 2009-12-10, with no rename into it.
    await repository.writeBars("1m", bars("AOL", ["2003-10-14", "2003-10-15", "2009-12-10", "2009-12-11"]));
    await repository.writeBars("1m", bars("TWX", ["2003-10-16", "2009-12-10"]));
    await repository.writeActions([rename("TWX", "2003-10-16", "AOL")]);
    const both = ["AOL", "TWX"];
    expect(await currentTickers(repository, both, TZ)).toEqual(both);
    expect(await currentTickers(repository, both, TZ, "2003-10-01", "2009-12-31")).toEqual(both);
    expect(await currentTickers(repository, both, TZ, "2009-12-01", "2009-12-31")).toEqual(both);
    // In 2003 AOL is only TWX's earlier name: its later bars are not in the dates asked.
    expect(await currentTickers(repository, both, TZ, "2003-10-01", "2003-10-31")).toEqual(["TWX"]);
    expect(await currentTickers(repository, ["AOL"], TZ, "2003-10-14", "2003-10-15")).toEqual(["TWX"]);
  });
});
