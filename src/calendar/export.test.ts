import { describe, expect, it } from "vitest";
import { calendarToJson } from "./export.js";
import { calendarFromJson } from "./json.js";
import { BUILT_IN_CALENDARS } from "./names.js";
import { getCalendar } from "./registry.js";

describe("calendarToJson", () => {
  for (const { name } of BUILT_IN_CALENDARS) {
    it(`writes ${name} as JSON that loads back to the same sessions, every one`, () => {
      const cal = getCalendar(name);
      const json = calendarToJson(cal);
      const back = calendarFromJson(JSON.parse(JSON.stringify(json)), `${name}.json`);
      expect([back.name, back.timeZone, back.firstDate, back.lastDate]).toEqual([
        cal.name,
        cal.timeZone,
        cal.firstDate,
        cal.lastDate,
      ]);
      expect(back.sessions(back.firstDate, back.lastDate)).toEqual(cal.sessions(cal.firstDate, cal.lastDate));
    });
  }

  it("writes weekly hours, holidays and changed days: XTKS in January 2024", () => {
    const json = calendarToJson(getCalendar("XTKS"), "2024-01-01", "2024-01-31");
    expect(json.weekly.mon).toEqual({
      open: "09:00",
      close: "15:00",
      breakStart: "11:30",
      breakEnd: "12:30",
    });
    expect(json.weekly.sat).toBeNull();
    expect(json.holidays).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-08"]);
    expect(json.days).toEqual({});
  });

  it("writes early closes as changed days with their flag: XNYS on 2024-11-29", () => {
    const json = calendarToJson(getCalendar("XNYS"), "2024-11-18", "2024-11-29");
    expect(json.weekly.fri).toEqual({ open: "09:30", close: "16:00", pre: "04:00", post: "20:00" });
    expect(json.holidays).toEqual(["2024-11-28"]);
    expect(json.days).toEqual({
      "2024-11-29": { open: "09:30", close: "13:00", pre: "04:00", post: "17:00", earlyClose: true },
    });
  });
});
