import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { makeZip } from "./zip.fixture.js";
import { readZip } from "./zip.js";

describe("readZip", () => {
  it("reads stored and deflated entries", () => {
    const a = Buffer.from("14400000,1674100,1674100,1672500,1672700,3197\n".repeat(50));
    const b = Buffer.from("hello");
    const entries = readZip(
      makeZip([
        { name: "a.csv", data: a, method: 8 },
        { name: "b.txt", data: b, method: 0 },
      ]),
    );
    expect(entries.map((e) => e.name)).toEqual(["a.csv", "b.txt"]);
    expect(entries[0].data.equals(a)).toBe(true);
    expect(entries[1].data.equals(b)).toBe(true);
  });

  it("refuses a corrupt entry by its CRC, naming the archive", () => {
    const zip = makeZip([{ name: "a.csv", data: Buffer.from("1,2,3\n"), method: 8 }], true);
    expect(() => readZip(zip, "x.zip")).toThrow(
      /x\.zip: not a readable zip file \(a\.csv fails its CRC check\)/,
    );
  });

  it("refuses what is not a zip", () => {
    expect(() => readZip(Buffer.from("not a zip at all, just some text"), "y.zip")).toThrow(
      /y\.zip: not a readable zip file \(no end of central directory\)/,
    );
  });

  describe.skipIf(skipWithout("../shared/data", hasSharedData()))("on LEAN's zips", () => {
    it("reads a minute zip's single CSV", () => {
      const [entry, ...rest] = readZip(
        readFileSync(resolve(LEAN_ROOT, "equity/usa/minute/spy/20131007_trade.zip")),
      );
      expect(rest).toEqual([]);
      expect(entry.name).toBe("20131007_spy_minute_trade.csv");
      expect(entry.data.toString().split("\n")[0]).toBe("14400000,1674100,1674100,1672500,1672700,3197");
    });

    it("reads the daily zip, whose sizes are in a ZIP64 extra field", () => {
      const [entry] = readZip(readFileSync(resolve(LEAN_ROOT, "equity/usa/daily/spy.zip")));
      expect(entry.name).toBe("spy.csv");
      expect(entry.data.length).toBe(326552);
      expect(entry.data.toString().split("\n")[0]).toBe("19980102 00:00,973100,975300,965300,973600,2150000");
    });
  });
});
