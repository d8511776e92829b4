import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS, zonedToUtc, zoneOffsetMs } from "../model/time.js";
import { ZoneOffsets } from "./zone.js";

const ZONES = [
  "America/New_York",
  "America/Chicago",
  "Europe/London",
  "Australia/Sydney",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "Africa/Casablanca",
  "UTC",
];
const FROM = Date.UTC(1989, 0, 1);
const TO = Date.UTC(2051, 0, 1);

describe("ZoneOffsets", () => {
  it("finds New York's two DST switches a year, at 07:00 and 06:00 UTC", () => {
    const ny = ZoneOffsets.for("America/New_York", Date.UTC(2024, 0, 1), Date.UTC(2024, 11, 31));
    expect(ny.offsetAt(Date.parse("2024-03-10T06:59:59Z"))).toBe(-5 * 3_600_000);
    expect(ny.offsetAt(Date.parse("2024-03-10T07:00:00Z"))).toBe(-4 * 3_600_000);
    expect(ny.offsetAt(Date.parse("2024-11-03T05:59:59Z"))).toBe(-4 * 3_600_000);
    expect(ny.offsetAt(Date.parse("2024-11-03T06:00:00Z"))).toBe(-5 * 3_600_000);
  });

  for (const zone of ZONES) {
    it(`agrees with Intl (zoneOffsetMs, zonedToUtc) in ${zone}`, () => {
      const table = ZoneOffsets.for(zone, FROM, TO);
      fc.assert(
        fc.property(
          fc.integer({ min: FROM, max: TO }),
          fc.integer({ min: 0, max: 24 * 60 }),
          (t, minuteOfDay) => {
            expect(table.offsetAt(t)).toBe(zoneOffsetMs(zone, t));
            const day = Math.floor(t / DAY_MS);
            expect(table.toUtc(day, minuteOfDay * 60_000)).toBe(zonedToUtc(zone, day, minuteOfDay * 60_000));
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it("agrees with Intl on the DST switch days themselves, minute by minute", () => {
    const ny = ZoneOffsets.for("America/New_York", FROM, TO);
    const switchDays = [
      Date.UTC(2024, 2, 10),
      Date.UTC(2024, 10, 3),
      Date.UTC(1995, 3, 2),
      Date.UTC(1995, 9, 29),
    ];
    for (const start of switchDays) {
      const day = start / DAY_MS;
      for (let m = 0; m <= 24 * 60; m += 15) {
        expect(ny.toUtc(day, m * 60_000)).toBe(zonedToUtc("America/New_York", day, m * 60_000));
      }
    }
  });

  it("has no switches in a zone without DST and answers outside its span through Intl", () => {
    const kolkata = ZoneOffsets.for("Asia/Kolkata", FROM, TO);
    expect(kolkata.transitionCount).toBe(0);
    expect(kolkata.offsetAt(FROM)).toBe(5.5 * 3_600_000);
    const ny = ZoneOffsets.for("America/New_York", FROM, TO);
    expect(ny.offsetAt(Date.parse("1970-07-01T12:00:00Z"))).toBe(-4 * 3_600_000);
  });

  it("refuses an unknown zone", () => {
    expect(() => ZoneOffsets.for("Mars/Olympus", FROM, TO)).toThrow('unknown time zone "Mars/Olympus"');
  });
});
