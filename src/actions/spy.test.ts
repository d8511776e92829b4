import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStoredBars } from "../aggregate/index.js";
import { getCalendar } from "../calendar/registry.js";
import { ingest, Rejects } from "../ingest/index.js";
import { formatDay, zonedDay } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { type FactorRow, factorRowOn, parseFactorFile } from "./factor-file.js";

const XNYS = getCalendar("XNYS");
const USA = join(LEAN_ROOT, "equity/usa");

/** Price factor of a date as the file states it (the first row dated on or after it). */
function fileFactor(factorRows: readonly FactorRow[], date: string): number {
  return (factorRowOn(factorRows, date) ?? { priceFactor: 1 }).priceFactor;
}

const cents = (x: number) => Math.round(x * 100);

describe.skipIf(skipWithout("../shared/data", hasSharedData()))(
  "SPY adjusted for the dividends of its factor file",
  () => {
    let repo: Repository;
    let factorRows: FactorRow[];
    beforeAll(async () => {
      factorRows = parseFactorFile(
        readFileSync(join(USA, "factor_files/spy.csv"), "utf8"),
        "spy.csv",
        new Rejects(),
      );
      repo = await openRepository(":memory:");
      const s = await ingest([join(USA, "minute/spy"), join(USA, "daily/spy.zip")], {
        format: "lean",
        repository: repo,
      });
      expect(s.rejects.filter((r) => !r.file.endsWith(".zip"))).toEqual([]);
      expect(s.actions).toBeGreaterThan(90);
    });
    afterAll(async () => {
      await repo.close();
    });

    it("gives daily closes 1998-2021 equal to the raw closes times the file's cumulative price factor, to the cent", async () => {
      const raw = (await readStoredBars(repo, XNYS, "SPY", "1d", "1998-01-02", "2021-03-31")).bars;
      const adjusted = (
        await readStoredBars(repo, XNYS, "SPY", "1d", "1998-01-02", "2021-03-31", false, { mode: "adjusted" })
      ).bars;
      const split = (
        await readStoredBars(repo, XNYS, "SPY", "1d", "1998-01-02", "2021-03-31", false, { mode: "split" })
      ).bars;
      expect(raw.length).toBeGreaterThan(5800);
      expect(adjusted.length).toBe(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const date = formatDay(zonedDay(XNYS.timeZone, raw.time[i]));
        const f = fileFactor(factorRows, date);
        const expected = raw.close[i] * f;
        if (
          cents(adjusted.close[i]) !== cents(expected) ||
          Math.abs(adjusted.close[i] / expected - 1) > 1e-12
        )
          expect.fail(`${date}: adjusted ${adjusted.close[i]}, raw ${raw.close[i]} x ${f} = ${expected}`);
        expect(adjusted.volume[i]).toBe(raw.volume[i]);
        expect(split.close[i]).toBe(raw.close[i]);
      }
      // 1998-01-02: 97.36 x 0.6566606.
      expect(cents(adjusted.close[0])).toBe(cents(97.36 * 0.6566606));
    });

    it("gives the minutes of 2013-10-07..11 and the bars derived from them the same factor, 0.8646266", async () => {
      const read = (interval: string, mode: "raw" | "adjusted") =>
        readStoredBars(repo, XNYS, "SPY", interval, "2013-10-07", "2013-10-11", false, { mode });
      expect(fileFactor(factorRows, "2013-10-07")).toBe(0.8646266);
      for (const interval of ["1m", "5m", "60m"]) {
        const raw = (await read(interval, "raw")).bars;
        const adjusted = (await read(interval, "adjusted")).bars;
        expect(adjusted.length).toBe(raw.length);
        expect(raw.length).toBeGreaterThan(interval === "1m" ? 1900 : 30);
        for (let i = 0; i < raw.length; i++) {
          for (const column of ["open", "high", "low", "close"] as const) {
            expect(adjusted[column][i] / (raw[column][i] * 0.8646266)).toBeCloseTo(1, 12);
          }
          expect(adjusted.volume[i]).toBe(raw.volume[i]);
        }
      }
    });
  },
);
