import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { daysFromCivil, LocalToUtc, parseTimeFormat, TIME_FORM, TimeParser } from "./timestamps.js";

const T = Date.UTC(2013, 9, 7, 13, 30);

describe("TimeParser", () => {
  const auto = new TimeParser();

  it("reads ISO-8601 with Z or an offset", () => {
    expect(auto.parseText("2013-10-07T13:30:00Z")).toBe(T);
    expect(auto.parseText("2013-10-07T09:30:00-04:00")).toBe(T);
    expect(auto.parseText("2013-10-07 15:30+0200")).toBe(T);
    expect(auto.parseText("2013-10-07T13:30:00.250Z")).toBe(T + 250);
    expect(auto.parseText("2013-10-07T14:30:00+01")).toBe(T);
    expect(auto.parseText("  2013-10-07T13:30Z ")).toBe(T);
  });

  it("detects epoch seconds, ms, us and ns by magnitude", () => {
    expect(auto.parseText("1381152600")).toBe(T);
    expect(auto.parseText("1381152600000")).toBe(T);
    expect(auto.parseText("1381152600000000")).toBe(T);
    expect(auto.parseText("1381152600000000000")).toBe(T);
    expect(auto.parseText("1381152600000123456")).toBe(T + 0.123456);
  });

  it("takes the unit it is told", () => {
    expect(new TimeParser("ms").parseText("1381152600")).toBe(1381152600);
    expect(new TimeParser("s").parseText("1381152600.5")).toBe(T + 500);
    expect(new TimeParser("ns").parseText("2013-10-07T13:30:00Z")).toBeNaN();
    expect(new TimeParser("iso").parseText("2013-10-07T13:30:00Z")).toBe(T);
  });

  it("reads naive times in the given zone, across DST", () => {
    const ny = new TimeParser("auto", "America/New_York");
    expect(ny.parseText("2013-10-07 09:30:00")).toBe(T);
    expect(ny.parseText("2013-12-09 09:30")).toBe(Date.UTC(2013, 11, 9, 14, 30));
    expect(ny.parseText("2013-10-07T13:30:00Z")).toBe(T);
    expect(new TimeParser("local", "America/New_York").parseText("2013-10-07 09:30")).toBe(T);
  });

  it("reads a naive time without a zone as NaN of form naive, so the caller can ask for --tz", () => {
    expect(auto.parseText("2013-10-07 09:30:00")).toBeNaN();
    expect(auto.form).toBe(TIME_FORM.naive);
    expect(() => new TimeParser("local")).toThrow(/--tz/);
  });

  it("reads a bare date as midnight UTC, or midnight in the zone", () => {
    expect(auto.parseText("2013-10-07")).toBe(Date.UTC(2013, 9, 7));
    expect(new TimeParser("auto", "America/New_York").parseText("2013-10-07")).toBe(Date.UTC(2013, 9, 7, 4));
  });

  it("returns NaN for what is not a time", () => {
    for (const bad of [
      "",
      "abc",
      "2013-13-01T00:00Z",
      "2013-02-29T00:00Z",
      "2013-10-07T24:00Z",
      "2013-10-07T13:61Z",
      "2013-10-07T13:30+25:00",
      "12:30",
      "2013-10-07T13:30:00Zx",
    ]) {
      expect(auto.parseText(bad), bad).toBeNaN();
    }
  });

  it("agrees with Date.parse on random ISO instants with random offsets (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 0, 1) }),
        fc.integer({ min: -14 * 4, max: 14 * 4 }),
        (ms, quarterHours) => {
          const offsetMin = quarterHours * 15;
          const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
          const sign = offsetMin < 0 ? "-" : "+";
          const a = Math.abs(offsetMin);
          const text = `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
          expect(auto.parseText(text)).toBe(Date.parse(text));
          expect(auto.parseText(text)).toBe(ms);
        },
      ),
    );
  });

  it("parses a time format name or refuses it by name", () => {
    expect(parseTimeFormat("NS")).toBe("ns");
    expect(parseTimeFormat(undefined)).toBe("auto");
    expect(() => parseTimeFormat("epoch")).toThrow(/bad time format "epoch"/);
  });
});

describe("LocalToUtc", () => {
  it("matches Date for every hour around both 2013 New York DST switches", () => {
    const ny = new LocalToUtc("America/New_York");
    // 2013-03-10 02:00 EST -> 03:00 EDT; 2013-11-03 02:00 EDT -> 01:00 EST
    expect(ny.toUtc(daysFromCivil(2013, 3, 10), 1.5 * 3_600_000)).toBe(Date.UTC(2013, 2, 10, 6, 30));
    expect(ny.toUtc(daysFromCivil(2013, 3, 10), 3.5 * 3_600_000)).toBe(Date.UTC(2013, 2, 10, 7, 30));
    expect(ny.toUtc(daysFromCivil(2013, 11, 3), 0.5 * 3_600_000)).toBe(Date.UTC(2013, 10, 3, 4, 30));
    expect(ny.toUtc(daysFromCivil(2013, 11, 3), 2.5 * 3_600_000)).toBe(Date.UTC(2013, 10, 3, 7, 30));
  });

  it("refuses an unknown zone by name", () => {
    expect(() => new LocalToUtc("Mars/Olympus")).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it("daysFromCivil agrees with Date.UTC (property)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(-2e12), max: new Date(5e12), noInvalidDate: true }), (d) => {
        const day = Math.floor(d.getTime() / 86_400_000);
        const back = new Date(day * 86_400_000);
        expect(daysFromCivil(back.getUTCFullYear(), back.getUTCMonth() + 1, back.getUTCDate())).toBe(day);
      }),
    );
  });
});
