import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isoUtc } from "../model/time.js";
import { SHARED_DATA, skipWithout } from "../testing/deps.js";
import { getCalendar } from "./registry.js";
import type { Session } from "./types.js";

/**
 * Every calendar against exchange_calendars' answer files (tests/resources/*.csv: one row per
 * session with its date, open, close, break start and end in UTC): the answer files of
 * XLON, XTKS, XHKG, CMES and 24/7 in ../shared/data/calendars.
 */

const SHARED = resolve(SHARED_DATA, "calendars");

const ANSWERS: { calendar: string; file: string }[] = [
  { calendar: "XTKS", file: resolve(SHARED, "xtks.csv") },
  { calendar: "XHKG", file: resolve(SHARED, "xhkg.csv") },
  { calendar: "CMES", file: resolve(SHARED, "cmes.csv") },
  { calendar: "XLON", file: resolve(SHARED, "xlon.csv") },
  { calendar: "24/7", file: resolve(SHARED, "24-7.csv") },
];

/** A session as an answer file writes it: `date,open,close,break_start,break_end`. */
function row(s: Session): string {
  const iso = (t: number | undefined) => (t === undefined ? "" : isoUtc(t));
  return [`${s.date}T00:00:00Z`, iso(s.open), iso(s.close), iso(s.breakStart), iso(s.breakEnd)].join(",");
}

for (const { calendar, file } of ANSWERS) {
  const skip = skipWithout(`the answer file ${file}`, existsSync(file));
  describe.skipIf(skip)(`${calendar} against exchange_calendars' answer file`, () => {
    it("has every session of the answer file, to the minute, and no other", () => {
      const want = readFileSync(file, "utf8").trim().split("\n").slice(1);
      const first = want[0].slice(0, 10);
      const last = want[want.length - 1].slice(0, 10);
      const got = getCalendar(calendar).sessions(first, last).map(row);
      expect(got.length).toBe(want.length);
      const differ = got.filter((line, i) => line !== want[i]).slice(0, 10);
      expect(differ).toEqual([]);
    });
  });
}

/** Sessions and regular minutes per year 2024-2026, from the rules (hand-checked where noted). */
const MINUTES_PER_YEAR: Record<string, [number, number][]> = {
  // 245 sessions, 300 minutes each until 2024-11-04 and 330 from 2024-11-05 (15:30 close).
  XTKS: [
    [245, 74_700],
    [243, 80_190],
    [242, 79_860],
  ],
  // 330 minutes a day; three 150-minute half days a year (Lunar New Year's Eve, Christmas Eve, New Year's Eve).
  XHKG: [
    [246, 80_640],
    [246, 80_640],
    [247, 80_970],
  ],
  // 2024: 262 weekdays - 3 holidays; 1440 minutes (17:00 to 17:00), 1140 on the nine 12:00 closes.
  CMES: [
    [259, 370_260],
    [257, 367_380],
    [258, 368_820],
  ],
  // 2024: 262 weekdays - 8 bank holidays = 254 sessions; 252 x 510 + 2 x 270 (12:30 closes).
  XLON: [
    [254, 129_060],
    [253, 128_550],
    [253, 128_550],
  ],
};

describe("sessions and minutes per year, 2024-2026", () => {
  for (const [name, years] of Object.entries(MINUTES_PER_YEAR)) {
    it(`${name}: ${years.map(([s, m]) => `${s} sessions ${m} minutes`).join(", ")}`, () => {
      const cal = getCalendar(name);
      const got = [2024, 2025, 2026].map((y) => {
        const sessions = cal.sessions(`${y}-01-01`, `${y}-12-31`);
        return [sessions.length, sessions.reduce((sum, s) => sum + cal.minuteCount(s), 0)];
      });
      expect(got).toEqual(years);
    });
  }
});
