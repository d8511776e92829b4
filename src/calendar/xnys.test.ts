import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DAY_MS, formatDay, isoUtc, parseDate } from "../model/time.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { weekday } from "./rules.js";
import { buildXnys, xnysEarlyCloses, xnysHolidays, xnysLateOpens } from "./xnys.js";

const cal = buildXnys();

/** Every full-day closure on a weekday, 2020-2026 (NYSE's published schedules). */
const CLOSED: Record<number, string[]> = {
  2020: [
    "2020-01-01",
    "2020-01-20",
    "2020-02-17",
    "2020-04-10",
    "2020-05-25",
    "2020-07-03",
    "2020-09-07",
    "2020-11-26",
    "2020-12-25",
  ],
  2021: [
    "2021-01-01",
    "2021-01-18",
    "2021-02-15",
    "2021-04-02",
    "2021-05-31",
    "2021-07-05",
    "2021-09-06",
    "2021-11-25",
    "2021-12-24",
  ],
  2022: [
    "2022-01-17",
    "2022-02-21",
    "2022-04-15",
    "2022-05-30",
    "2022-06-20",
    "2022-07-04",
    "2022-09-05",
    "2022-11-24",
    "2022-12-26",
  ],
  2023: [
    "2023-01-02",
    "2023-01-16",
    "2023-02-20",
    "2023-04-07",
    "2023-05-29",
    "2023-06-19",
    "2023-07-04",
    "2023-09-04",
    "2023-11-23",
    "2023-12-25",
  ],
  2024: [
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-03-29",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-11-28",
    "2024-12-25",
  ],
  2025: [
    "2025-01-01",
    "2025-01-09",
    "2025-01-20",
    "2025-02-17",
    "2025-04-18",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25",
  ],
  2026: [
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-04-03",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
  ],
};

/** Every 13:00 early close, 2020-2026. */
const EARLY: Record<number, string[]> = {
  2020: ["2020-11-27", "2020-12-24"],
  2021: ["2021-11-26"],
  2022: ["2022-11-25"],
  2023: ["2023-07-03", "2023-11-24"],
  2024: ["2024-07-03", "2024-11-29", "2024-12-24"],
  2025: ["2025-07-03", "2025-11-28", "2025-12-24"],
  2026: ["2026-11-27", "2026-12-24"],
};

const MINUTES: Record<number, number> = {
  2020: 98_310,
  2021: 98_100,
  2022: 97_710,
  2023: 97_140,
  2024: 97_740,
  2025: 96_960,
  2026: 97_530,
};

function dates(map: Map<number, unknown>): string[] {
  return [...map.keys()].sort((a, b) => a - b).map(formatDay);
}

describe("XNYS 2020-2026", () => {
  for (const year of [2020, 2021, 2022, 2023, 2024, 2025, 2026]) {
    it(`has ${MINUTES[year].toLocaleString("en-US")} regular minutes in ${year}`, () => {
      const sessions = cal.sessions(`${year}-01-01`, `${year}-12-31`);
      const minutes = sessions.reduce((sum, s) => sum + cal.minuteCount(s), 0);
      expect(minutes).toBe(MINUTES[year]);
    });

    it(`closes on exactly the published holidays and closures of ${year}`, () => {
      expect(dates(xnysHolidays(year))).toEqual(CLOSED[year]);
      const closedWeekdays: string[] = [];
      for (let day = parseDate(`${year}-01-01`); day <= parseDate(`${year}-12-31`); day++) {
        const wd = weekday(day);
        if (wd !== 0 && wd !== 6 && !cal.sessionOn(formatDay(day))) closedWeekdays.push(formatDay(day));
        if (wd === 0 || wd === 6) expect(cal.sessionOn(formatDay(day))).toBeUndefined();
      }
      expect(closedWeekdays).toEqual(CLOSED[year]);
    });

    it(`closes at 13:00 New York on exactly the early-close days of ${year}`, () => {
      expect(dates(xnysEarlyCloses(year))).toEqual(EARLY[year]);
      const sessions = cal.sessions(`${year}-01-01`, `${year}-12-31`);
      expect(sessions.filter((s) => s.earlyClose).map((s) => s.date)).toEqual(EARLY[year]);
      for (const s of sessions) {
        const expected = s.earlyClose ? 210 : 390;
        expect(cal.minuteCount(s)).toBe(expected);
        expect(cal.expectedMinutes(s).length).toBe(expected);
      }
    });
  }

  it("gives 2021-12-31 a normal session (New Year's Day 2022 on a Saturday is not observed)", () => {
    const s = cal.sessionOn("2021-12-31")!;
    expect(isoUtc(s.open)).toBe("2021-12-31T14:30:00Z");
    expect(isoUtc(s.close)).toBe("2021-12-31T21:00:00Z");
    expect(s.earlyClose).toBe(false);
  });

  it("closes on 2026-07-03 (Independence Day on a Saturday) and has no early close that week", () => {
    expect(cal.sessionOn("2026-07-03")).toBeUndefined();
    expect(cal.sessionOn("2026-07-02")?.earlyClose).toBe(false);
  });

  it("closes on 2025-01-09 (day of mourning for Jimmy Carter)", () => {
    expect(cal.sessionOn("2025-01-09")).toBeUndefined();
    expect(cal.sessionOn("2025-01-08")?.earlyClose).toBe(false);
    expect(cal.sessionOn("2025-01-10")?.earlyClose).toBe(false);
  });

  it("closes on 2022-12-26 (Christmas on a Sunday) and 2022-06-20 (Juneteenth on a Sunday)", () => {
    expect(cal.sessionOn("2022-12-26")).toBeUndefined();
    expect(cal.sessionOn("2022-06-20")).toBeUndefined();
    expect(cal.sessionOn("2022-12-23")?.earlyClose).toBe(false);
  });

  it("closes at 13:00 EDT (17:00 UTC) on July 3 and 13:00 EST (18:00 UTC) after Thanksgiving", () => {
    expect(isoUtc(cal.sessionOn("2024-07-03")!.close)).toBe("2024-07-03T17:00:00Z");
    expect(isoUtc(cal.sessionOn("2024-07-03")!.postClose)).toBe("2024-07-03T21:00:00Z");
    expect(isoUtc(cal.sessionOn("2024-11-29")!.close)).toBe("2024-11-29T18:00:00Z");
    expect(isoUtc(cal.sessionOn("2024-11-29")!.postClose)).toBe("2024-11-29T22:00:00Z");
  });
});

describe("XNYS across DST", () => {
  const utc = (date: string) => {
    const s = cal.sessionOn(date)!;
    return [s.preOpen, s.open, s.close, s.postClose].map(isoUtc);
  };

  it("opens at 14:30 UTC before and 13:30 UTC after the March 2024 switch", () => {
    expect(utc("2024-03-08")).toEqual([
      "2024-03-08T09:00:00Z",
      "2024-03-08T14:30:00Z",
      "2024-03-08T21:00:00Z",
      "2024-03-09T01:00:00Z",
    ]);
    expect(utc("2024-03-11")).toEqual([
      "2024-03-11T08:00:00Z",
      "2024-03-11T13:30:00Z",
      "2024-03-11T20:00:00Z",
      "2024-03-12T00:00:00Z",
    ]);
  });

  it("opens at 13:30 UTC before and 14:30 UTC after the November 2024 switch", () => {
    expect(utc("2024-11-01")[1]).toBe("2024-11-01T13:30:00Z");
    expect(utc("2024-11-04")[1]).toBe("2024-11-04T14:30:00Z");
  });

  it("follows the 2007 change of US DST rules (second Sunday of March, first of November)", () => {
    expect(utc("2006-03-31")[1]).toBe("2006-03-31T14:30:00Z");
    expect(utc("2006-04-03")[1]).toBe("2006-04-03T13:30:00Z");
    expect(utc("2006-10-27")[1]).toBe("2006-10-27T13:30:00Z");
    expect(utc("2006-10-30")[1]).toBe("2006-10-30T14:30:00Z");
    expect(utc("2007-03-09")[1]).toBe("2007-03-09T14:30:00Z");
    expect(utc("2007-03-12")[1]).toBe("2007-03-12T13:30:00Z");
    expect(utc("2007-11-02")[1]).toBe("2007-11-02T13:30:00Z");
    expect(utc("2007-11-05")[1]).toBe("2007-11-05T14:30:00Z");
  });

  it("is 390 minutes long on the session after each switch", () => {
    for (const d of ["2024-03-11", "2024-11-04", "2007-03-12", "1990-04-02", "2035-11-05"]) {
      expect(cal.minuteCount(cal.sessionOn(d)!)).toBe(390);
      expect(cal.minuteCount(cal.sessionOn(d)!, true)).toBe(960);
    }
  });
});

describe("XNYS history", () => {
  it("closes on the unscheduled closures since 1990", () => {
    for (const d of [
      "1994-04-27",
      "2001-09-11",
      "2001-09-12",
      "2001-09-13",
      "2001-09-14",
      "2004-06-11",
      "2007-01-02",
      "2012-10-29",
      "2012-10-30",
      "2018-12-05",
    ]) {
      expect(cal.sessionOn(d), d).toBeUndefined();
    }
    expect(cal.sessionOn("2001-09-17")).toBeDefined();
  });

  it("observes MLK Day from 1998 and Juneteenth from 2022 only", () => {
    expect(cal.sessionOn("1997-01-20")).toBeDefined();
    expect(cal.sessionOn("1998-01-19")).toBeUndefined();
    expect(cal.sessionOn("2021-06-18")).toBeDefined();
    expect(cal.sessionOn("2027-06-18")).toBeUndefined();
  });

  it("closed early at 14:00 before 1993 and at 13:00 on the one-off days", () => {
    expect(isoUtc(cal.sessionOn("1992-11-27")!.close)).toBe("1992-11-27T19:00:00Z");
    expect(isoUtc(cal.sessionOn("1991-12-24")!.close)).toBe("1991-12-24T19:00:00Z");
    expect(cal.sessionOn("1991-11-29")!.earlyClose).toBe(false);
    for (const d of ["1997-12-26", "1999-12-31", "2003-12-26"]) {
      expect(isoUtc(cal.sessionOn(d)!.close)).toBe(`${d}T18:00:00Z`);
    }
    expect(cal.sessionOn("2008-12-26")!.earlyClose).toBe(false);
  });

  it("models the unscheduled late opens and early closes since 1990", () => {
    const blizzard = cal.sessionOn("1996-01-08")!;
    expect([blizzard.open, blizzard.close].map(isoUtc)).toEqual([
      "1996-01-08T16:00:00Z",
      "1996-01-08T19:00:00Z",
    ]);
    expect(blizzard).toMatchObject({ earlyClose: true, lateOpen: true });
    expect(cal.minuteCount(blizzard)).toBe(180);
    expect(isoUtc(blizzard.preOpen)).toBe("1996-01-08T09:00:00Z");
    expect(isoUtc(cal.sessionOn("2002-09-11")!.open)).toBe("2002-09-11T16:00:00Z");
    expect(isoUtc(cal.sessionOn("1997-10-27")!.close)).toBe("1997-10-27T20:30:00Z");
    expect(cal.minuteCount(cal.sessionOn("2001-09-17")!)).toBe(387);
    expect(cal.minuteCount(cal.sessionOn("2005-06-01")!)).toBe(386);
    expect(dates(xnysLateOpens(2001))).toEqual(["2001-09-17", "2001-10-08"]);
    expect(xnysLateOpens(2024).size).toBe(0);
    const since2007 = cal.sessions("2007-01-01", "2026-12-31");
    expect(since2007.filter((s) => s.lateOpen)).toEqual([]);
  });

  it("closed early on Friday July 5 before 2013 and Wednesday July 3 from 2013", () => {
    expect(cal.sessionOn("2002-07-05")!.earlyClose).toBe(true);
    expect(cal.sessionOn("2002-07-03")!.earlyClose).toBe(false);
    expect(cal.sessionOn("2013-07-03")!.earlyClose).toBe(true);
    expect(cal.sessionOn("2019-07-05")!.earlyClose).toBe(false);
  });

  it("covers 1990-2050 by default and refuses dates outside", () => {
    expect(cal.firstDate).toBe("1990-01-01");
    expect(cal.lastDate).toBe("2050-12-31");
    expect(cal.sessions("1990-01-01", "1990-01-05").map((s) => s.date)).toEqual([
      "1990-01-02",
      "1990-01-03",
      "1990-01-04",
      "1990-01-05",
    ]);
    expect(() => cal.sessionOn("1989-12-29")).toThrow(
      /outside calendar XNYS, which covers 1990-01-01 to 2050-12-31/,
    );
    expect(() => buildXnys({ firstYear: 1960 })).toThrow(/1971-2099/);
  });

  it("builds back to 1971 with the election-day holidays", () => {
    const old = buildXnys({ firstYear: 1971, lastYear: 1989 });
    expect(old.sessionOn("1980-11-04")).toBeUndefined();
    expect(old.sessionOn("1982-11-02")).toBeDefined();
    expect(old.sessionOn("1985-09-27")).toBeUndefined();
  });
});

/** The one deflated entry of a single-file zip, as text (LEAN's daily zip). */
function readSingleZipEntry(path: string): string {
  const buf = readFileSync(path);
  const method = buf.readUInt16LE(8);
  const size = buf.readUInt32LE(18);
  const start = 30 + buf.readUInt16LE(26) + buf.readUInt16LE(28);
  const data = buf.subarray(start, start + size);
  return (method === 8 ? inflateRawSync(data) : data).toString("utf8");
}

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("XNYS against real SPY daily bars", () => {
  it("has exactly one session per SPY daily bar from 1998-01-02 to 2021-03-31 (5,849)", () => {
    const text = readSingleZipEntry(resolve(LEAN_ROOT, "equity/usa/daily/spy.zip"));
    const spy = text
      .trim()
      .split("\n")
      .map((line) => `${line.slice(0, 4)}-${line.slice(4, 6)}-${line.slice(6, 8)}`);
    const ours = cal.sessions("1998-01-02", "2021-03-31").map((s) => s.date);
    expect(spy.length).toBe(5849);
    expect(ours).toEqual(spy);
  });

  it("opens the 2013-10-07 session at 13:30 UTC, where SPY's first regular bar starts", () => {
    const s = cal.sessionOn("2013-10-07")!;
    expect(s.open).toBe(parseDate("2013-10-07") * DAY_MS + 13.5 * 3_600_000);
  });
});
