import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../model/errors.js";
import { isoUtc } from "../model/time.js";
import { REPO_ROOT } from "../testing/deps.js";
import { calendarFromJson, loadCalendarFile } from "./json.js";
import { buildXnys } from "./xnys.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLE = resolve(REPO_ROOT, "examples/calendars/futures-sample.json");

const bounds = (s: { preOpen: number; open: number; close: number; postClose: number }) =>
  [s.preOpen, s.open, s.close, s.postClose].map(isoUtc);

describe("the sample futures calendar (examples/calendars/futures-sample.json)", () => {
  const cal = loadCalendarFile(SAMPLE);

  it("loads with its name, zone and range", () => {
    expect(cal.name).toBe("FUTURES-SAMPLE");
    expect(cal.timeZone).toBe("America/Chicago");
    expect(cal.firstDate).toBe("2024-01-01");
    expect(cal.lastDate).toBe("2026-12-31");
  });

  it("opens Monday's session on Sunday 17:00 and closes it Monday 16:00 Chicago", () => {
    const s = cal.sessionOn("2024-06-10")!;
    expect(bounds(s)).toEqual([
      "2024-06-09T22:00:00Z",
      "2024-06-09T22:00:00Z",
      "2024-06-10T21:00:00Z",
      "2024-06-10T21:00:00Z",
    ]);
    expect(cal.minuteCount(s)).toBe(1380);
  });

  it("runs 23 hours on the day DST starts: the session opened on Sunday after the switch", () => {
    expect(bounds(cal.sessionOn("2024-03-11")!).slice(1, 3)).toEqual([
      "2024-03-10T22:00:00Z",
      "2024-03-11T21:00:00Z",
    ]);
    expect(bounds(cal.sessionOn("2024-03-08")!).slice(1, 3)).toEqual([
      "2024-03-07T23:00:00Z",
      "2024-03-08T22:00:00Z",
    ]);
    expect(cal.minuteCount(cal.sessionOn("2024-03-11")!)).toBe(1380);
  });

  it("labels Monday to Friday only, and has no Saturday or Sunday session", () => {
    expect(cal.sessions("2024-06-08", "2024-06-16").map((s) => s.date)).toEqual([
      "2024-06-10",
      "2024-06-11",
      "2024-06-12",
      "2024-06-13",
      "2024-06-14",
    ]);
    expect(cal.sessionAt(Date.parse("2024-06-15T12:00:00Z"))).toBeUndefined();
    expect(cal.state(Date.parse("2024-06-10T21:30:00Z"))).toBe("closed");
  });

  it("skips a holiday: the next session opens at the usual time after it", () => {
    expect(cal.sessionOn("2024-12-25")).toBeUndefined();
    expect(bounds(cal.sessionOn("2024-12-26")!)[1]).toBe("2024-12-25T23:00:00Z");
  });

  it("applies an early close and a late open with its own pre-open", () => {
    const early = cal.sessionOn("2024-11-29")!;
    expect(early.earlyClose).toBe(true);
    expect(bounds(early)).toEqual([
      "2024-11-28T23:00:00Z",
      "2024-11-28T23:00:00Z",
      "2024-11-29T18:15:00Z",
      "2024-11-29T18:15:00Z",
    ]);
    const late = cal.sessionOn("2025-01-02")!;
    expect(late.lateOpen).toBe(true);
    expect(bounds(late)).toEqual([
      "2025-01-02T14:00:00Z",
      "2025-01-02T14:30:00Z",
      "2025-01-02T22:00:00Z",
      "2025-01-02T22:00:00Z",
    ]);
  });
});

describe("calendarFromJson", () => {
  it("reproduces XNYS 2024 from weekly hours, holidays and early closes", () => {
    const early = { close: "13:00", post: "17:00" };
    const hours = { pre: "04:00", open: "09:30", close: "16:00", post: "20:00" };
    const json = calendarFromJson({
      name: "NYSE-2024",
      timeZone: "America/New_York",
      from: "2024-01-01",
      to: "2024-12-31",
      weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: null },
      holidays: [
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
      earlyCloses: { "2024-07-03": early, "2024-11-29": early, "2024-12-24": early },
    });
    const xnys = buildXnys({ firstYear: 2024, lastYear: 2024 });
    expect(json.sessions("2024-01-01", "2024-12-31")).toEqual(xnys.sessions("2024-01-01", "2024-12-31"));
  });

  it("keeps the weekly after-hours end on an early close unless the early close gives its own", () => {
    const cal = calendarFromJson({
      name: "X",
      timeZone: "UTC",
      from: "2024-01-01",
      to: "2024-01-31",
      weekly: { tue: { open: "09:00", close: "17:00", post: "20:00" } },
      earlyCloses: { "2024-01-02": "12:00" },
    });
    expect(bounds(cal.sessionOn("2024-01-02")!).slice(2)).toEqual([
      "2024-01-02T12:00:00Z",
      "2024-01-02T20:00:00Z",
    ]);
  });

  it("places an after-hours end past midnight on the next day, and 24:00 at the end of the day", () => {
    const cal = calendarFromJson({
      name: "X",
      timeZone: "UTC",
      from: "2024-01-01",
      to: "2024-01-07",
      weekly: {
        mon: { open: "18:00", close: "23:00", post: "01:00" },
        wed: { open: "00:00", close: "24:00" },
      },
    });
    expect(bounds(cal.sessionOn("2024-01-01")!).slice(2)).toEqual([
      "2024-01-01T23:00:00Z",
      "2024-01-02T01:00:00Z",
    ]);
    expect(bounds(cal.sessionOn("2024-01-03")!).slice(1, 3)).toEqual([
      "2024-01-03T00:00:00Z",
      "2024-01-04T00:00:00Z",
    ]);
  });

  it("treats open equal to close as a 24-hour session from the day before", () => {
    const cal = calendarFromJson({
      name: "FX-LIKE",
      timeZone: "America/New_York",
      from: "2024-06-01",
      to: "2024-06-30",
      weekly: { mon: { open: "17:00", close: "17:00" } },
    });
    expect(bounds(cal.sessionOn("2024-06-03")!).slice(1, 3)).toEqual([
      "2024-06-02T21:00:00Z",
      "2024-06-03T21:00:00Z",
    ]);
  });

  it("places a lunch break inside the session, drops it on a morning-only day, and changes single dates", () => {
    const cal = calendarFromJson({
      name: "TOKYO-LIKE",
      timeZone: "Asia/Tokyo",
      from: "2024-01-01",
      to: "2024-01-31",
      weekly: { mon: { open: "09:00", close: "15:00", breakStart: "11:30", breakEnd: "12:30" } },
      earlyCloses: { "2024-01-15": "11:30" },
      days: {
        "2024-01-22": {
          open: "10:00",
          close: "15:00",
          breakStart: "12:00",
          breakEnd: "12:30",
          lateOpen: true,
        },
        "2024-01-27": { open: "09:00", close: "11:00" },
      },
    });
    const mon = cal.sessionOn("2024-01-08")!;
    expect([mon.open, mon.breakStart!, mon.breakEnd!, mon.close].map(isoUtc)).toEqual([
      "2024-01-08T00:00:00Z",
      "2024-01-08T02:30:00Z",
      "2024-01-08T03:30:00Z",
      "2024-01-08T06:00:00Z",
    ]);
    expect(cal.minuteCount(mon)).toBe(300);
    const morning = cal.sessionOn("2024-01-15")!;
    expect(morning).toMatchObject({ earlyClose: true, close: Date.parse("2024-01-15T02:30:00Z") });
    expect(morning).not.toHaveProperty("breakStart");
    const changed = cal.sessionOn("2024-01-22")!;
    expect([changed.open, changed.breakStart!].map(isoUtc)).toEqual([
      "2024-01-22T01:00:00Z",
      "2024-01-22T03:00:00Z",
    ]);
    expect(changed).toMatchObject({ lateOpen: true, earlyClose: false });
    expect(cal.sessionOn("2024-01-27")).toMatchObject({ close: Date.parse("2024-01-27T02:00:00Z") });
    expect(cal.sessions("2024-01-01", "2024-01-31")).toHaveLength(6);
  });

  function issues(obj: unknown): string {
    try {
      calendarFromJson(obj, "test.json");
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return (err as Error).message;
    }
    throw new Error("expected an InputError");
  }

  const base = {
    name: "X",
    timeZone: "UTC",
    from: "2024-01-01",
    to: "2024-01-31",
    weekly: { mon: { open: "09:00", close: "17:00" } },
  };

  it("names the key path of every problem", () => {
    const message = issues({
      name: "X",
      timeZone: "Mars/Olympus",
      weekly: { mon: { open: "25:00", close: "17:00" }, funday: { open: "09:00", close: "10:00" } },
      holidays: ["2024-01-01", "2024-02-30"],
      earlyCloses: { "2024-13-01": "12:00" },
    });
    expect(message).toContain("invalid calendar in test.json:");
    expect(message).toContain('  timeZone: unknown IANA time zone "Mars/Olympus"');
    expect(message).toContain('  weekly.mon.open: expected HH:MM between 00:00 and 24:00, got "25:00"');
    expect(message).toMatch(/ {2}weekly: .*funday/);
    expect(message).toContain('  holidays.1: expected a real date YYYY-MM-DD, got "2024-02-30"');
  });

  it("refuses a missing name, from after to, no trading day, and early closes on closed days", () => {
    expect(issues({ timeZone: "UTC", weekly: base.weekly })).toMatch(/ {2}name: /);
    expect(issues({ ...base, from: "2024-02-01", to: "2024-01-01" })).toContain(
      "  to: must not be before from (2024-02-01)",
    );
    expect(issues({ ...base, weekly: { sat: null } })).toContain(
      "  weekly: at least one weekday needs hours",
    );
    expect(issues({ ...base, earlyCloses: { "2024-01-02": "12:00" } })).toContain(
      "  earlyCloses.2024-01-02: no weekly hours on that weekday",
    );
    expect(issues({ ...base, holidays: ["2024-01-01"], lateOpens: { "2024-01-01": "10:00" } })).toContain(
      "  lateOpens.2024-01-01: that date is also listed as a holiday",
    );
    expect(issues({ ...base, earlyCloses: { "2024-1-1": "12:00" } })).toContain(
      "  earlyCloses.2024-1-1: key must be a real date YYYY-MM-DD",
    );
  });

  it("refuses overlapping sessions and early closes or late opens outside the session, naming the date", () => {
    expect(issues({ ...base, earlyCloses: { "2024-01-08": "08:00" } })).toBe(
      "invalid calendar in test.json: earlyCloses.2024-01-08: must lie between the regular open and the regular close",
    );
    expect(issues({ ...base, earlyCloses: { "2024-01-08": "18:00" } })).toContain(
      "earlyCloses.2024-01-08: must lie",
    );
    expect(issues({ ...base, lateOpens: { "2024-01-08": "08:00" } })).toContain(
      "lateOpens.2024-01-08: must lie",
    );
    expect(issues({ ...base, lateOpens: { "2024-01-08": "17:30" } })).toContain(
      "lateOpens.2024-01-08: must lie",
    );
    expect(
      issues({
        ...base,
        weekly: {
          mon: { open: "09:00", close: "17:00", post: "12:00" },
          tue: { open: "09:00", close: "17:00" },
        },
      }),
    ).toMatch(/session 2024-01-01 overlaps session 2024-01-02/);
  });

  it("refuses a break given half, a break outside the session, and a date changed twice", () => {
    const lunch = { open: "09:00", close: "15:00", breakStart: "11:30" };
    expect(issues({ ...base, weekly: { mon: lunch } })).toContain(
      "  weekly.mon.breakEnd: give breakStart and breakEnd both, or neither",
    );
    expect(
      issues({ ...base, weekly: { mon: { ...lunch, breakStart: "08:00", breakEnd: "12:00" } } }),
    ).toContain("session 2024-01-01 must have open < breakStart < breakEnd < close");
    expect(
      issues({
        ...base,
        holidays: ["2024-01-08"],
        days: { "2024-01-08": { open: "10:00", close: "12:00" } },
      }),
    ).toContain("  days.2024-01-08: that date is also a holiday, early close or late open");
  });

  it("reports unreadable files and bad JSON as input errors naming the file", () => {
    expect(() => loadCalendarFile("/no/such/calendar.json")).toThrow(
      /cannot read calendar file \/no\/such\/calendar\.json/,
    );
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    expect(() => loadCalendarFile(file)).toThrow(/calendar file .*broken\.json is not valid JSON/);
  });
});
