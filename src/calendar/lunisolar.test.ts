import { describe, expect, it } from "vitest";
import { DAY_MS } from "../model/time.js";
import { LUNAR_FESTIVALS, LUNAR_FIRST_YEAR, LUNAR_LAST_YEAR, lunarFestival } from "./lunisolar.js";

/** The lunar month (with "bis" for a leap month), day and year of a Gregorian day, by ICU. */
function lunar(calendar: "chinese" | "dangi", day: number): string {
  const parts = new Intl.DateTimeFormat(`en-u-ca-${calendar}`, {
    timeZone: "UTC",
    year: "numeric",
    month: "numeric",
    day: "numeric",
  }).formatToParts(new Date(day * DAY_MS));
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part("relatedYear")}-${part("month")}-${part("day")}`;
}

describe("lunar festival tables", () => {
  for (const calendar of ["chinese", "korean"] as const) {
    it(`agree with ICU's ${calendar} calendar on every tabled festival, ${LUNAR_FIRST_YEAR}-${LUNAR_LAST_YEAR}`, () => {
      const wrong: string[] = [];
      for (const [festival, [month, dayOfMonth]] of Object.entries(LUNAR_FESTIVALS)) {
        for (let year = LUNAR_FIRST_YEAR; year <= LUNAR_LAST_YEAR; year++) {
          const d = lunarFestival(calendar, festival as keyof typeof LUNAR_FESTIVALS, year);
          if (d === undefined) continue;
          const got = lunar(calendar === "korean" ? "dangi" : "chinese", d);
          if (got !== `${year}-${month}-${dayOfMonth}`) wrong.push(`${festival} ${year}: ${got}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it("answers the Gregorian day, or undefined outside the tables", () => {
    expect(lunarFestival("chinese", "newYear", 2024)).toBe(Date.UTC(2024, 1, 10) / DAY_MS);
    expect(lunarFestival("korean", "buddhasBirthday", 2012)).toBe(Date.UTC(2012, 4, 28) / DAY_MS);
    expect(lunarFestival("chinese", "buddhasBirthday", 2012)).toBe(Date.UTC(2012, 3, 28) / DAY_MS);
    expect(lunarFestival("chinese", "newYear", 1985)).toBeUndefined();
    expect(lunarFestival("korean", "dragonBoat", 2024)).toBeUndefined();
  });
});
