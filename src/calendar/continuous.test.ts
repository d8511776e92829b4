import { describe, expect, it } from "vitest";
import { isoUtc } from "../model/time.js";
import { buildAlwaysOpen, buildFx } from "./continuous.js";

const bounds = (s: { preOpen: number; open: number; close: number; postClose: number }) =>
  [s.preOpen, s.open, s.close, s.postClose].map(isoUtc);

describe("24/7", () => {
  const cal = buildAlwaysOpen();

  it("has one session per UTC day, weekends and holidays included, 1440 minutes each", () => {
    expect(cal.name).toBe("24/7");
    expect(cal.sessions("2024-12-24", "2024-12-26").map((s) => s.date)).toEqual([
      "2024-12-24",
      "2024-12-25",
      "2024-12-26",
    ]);
    const leap = cal.sessionOn("2024-02-29")!;
    expect(bounds(leap)).toEqual([
      "2024-02-29T00:00:00Z",
      "2024-02-29T00:00:00Z",
      "2024-03-01T00:00:00Z",
      "2024-03-01T00:00:00Z",
    ]);
    expect(cal.minuteCount(leap)).toBe(1440);
    expect(cal.sessions("2024-01-01", "2024-12-31")).toHaveLength(366);
  });

  it("is always open and hands over from one day to the next at midnight UTC", () => {
    const midnight = Date.parse("2024-06-01T00:00:00Z");
    expect(cal.sessionAt(midnight)?.date).toBe("2024-06-01");
    expect(cal.sessionAt(midnight - 1)?.date).toBe("2024-05-31");
    expect(cal.state(midnight)).toBe("open");
    expect(cal.nextOpen(midnight)).toBe(midnight + 86_400_000);
    expect(cal.firstDate).toBe("1970-01-01");
    expect(cal.lastDate).toBe("2099-12-31");
  });
});

describe("24/5", () => {
  const cal = buildFx();

  it("runs Sunday 17:00 to Friday 17:00 New York as five sessions labelled by their closing day", () => {
    expect(cal.sessions("2024-06-08", "2024-06-16").map((s) => s.date)).toEqual([
      "2024-06-10",
      "2024-06-11",
      "2024-06-12",
      "2024-06-13",
      "2024-06-14",
    ]);
    expect(bounds(cal.sessionOn("2024-06-10")!).slice(1, 3)).toEqual([
      "2024-06-09T21:00:00Z",
      "2024-06-10T21:00:00Z",
    ]);
    expect(bounds(cal.sessionOn("2024-06-14")!).slice(1, 3)).toEqual([
      "2024-06-13T21:00:00Z",
      "2024-06-14T21:00:00Z",
    ]);
    expect(cal.minuteCount(cal.sessionOn("2024-06-11")!)).toBe(1440);
  });

  it("is closed from Friday 17:00 to Sunday 17:00 New York", () => {
    expect(cal.state(Date.parse("2024-06-14T20:59:00Z"))).toBe("open");
    expect(cal.state(Date.parse("2024-06-14T21:00:00Z"))).toBe("closed");
    expect(cal.state(Date.parse("2024-06-16T20:59:00Z"))).toBe("closed");
    expect(cal.sessionAt(Date.parse("2024-06-16T21:00:00Z"))?.date).toBe("2024-06-17");
    expect(isoUtc(cal.nextOpen(Date.parse("2024-06-15T12:00:00Z"))!)).toBe("2024-06-16T21:00:00Z");
  });

  it("moves with New York DST: the Monday after the March switch opens at 21:00 UTC, the Friday before closed at 22:00", () => {
    expect(bounds(cal.sessionOn("2024-03-08")!).slice(1, 3)).toEqual([
      "2024-03-07T22:00:00Z",
      "2024-03-08T22:00:00Z",
    ]);
    expect(bounds(cal.sessionOn("2024-03-11")!).slice(1, 3)).toEqual([
      "2024-03-10T21:00:00Z",
      "2024-03-11T21:00:00Z",
    ]);
    expect(cal.minuteCount(cal.sessionOn("2024-11-04")!)).toBe(1440);
    expect(bounds(cal.sessionOn("2024-11-04")!)[1]).toBe("2024-11-03T22:00:00Z");
  });
});
