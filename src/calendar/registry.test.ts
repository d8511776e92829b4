import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../model/errors.js";
import { REPO_ROOT } from "../testing/deps.js";
import { calendarNames } from "./names.js";
import { getCalendar } from "./registry.js";

const KNOWN = [
  "XNYS (NYSE, XNAS, NASDAQ)",
  "24/7 (ALWAYS)",
  "24/5 (FX)",
  "24/5-UTC",
  "XTKS (TSE, JPX)",
  "XHKG (HKEX, SEHK)",
  "CMES (CME, GLOBEX)",
  "XLON (LSE)",
  "XETR (XETRA, FWB)",
  "XPAR (EPA)",
  "XAMS (AEX)",
  "XSWX (SIX)",
  "XASX (ASX)",
  "XTSE (TSX)",
  "XKRX (KRX)",
];

describe("getCalendar", () => {
  it("finds XNYS under its aliases, case-insensitively, and builds it once", () => {
    const xnys = getCalendar("XNYS");
    for (const name of ["nyse", "XNAS", "Nasdaq", " xnys "]) expect(getCalendar(name)).toBe(xnys);
    expect(xnys.name).toBe("XNYS");
    expect(xnys.timeZone).toBe("America/New_York");
  });

  it("finds 24/7 (ALWAYS) and 24/5 (FX)", () => {
    expect(getCalendar("always").name).toBe("24/7");
    expect(getCalendar("24/7")).toBe(getCalendar("ALWAYS"));
    expect(getCalendar("fx").name).toBe("24/5");
  });

  it("builds every built-in calendar under its name, and once", () => {
    for (const name of KNOWN.map((k) => k.split(" ")[0])) {
      const cal = getCalendar(name);
      expect(cal.name).toBe(name);
      expect(getCalendar(name.toLowerCase())).toBe(cal);
      expect(cal.lastDate >= "2030-12-31").toBe(true);
    }
  });

  it("loads a .json path and caches it", () => {
    const path = resolve(REPO_ROOT, "examples/calendars/futures-sample.json");
    const cal = getCalendar(path);
    expect(cal.name).toBe("FUTURES-SAMPLE");
    expect(getCalendar(path)).toBe(cal);
  });

  it("refuses an unknown name with an InvalidArgumentError listing the known ones", () => {
    expect(() => getCalendar("XLSE")).toThrow(InvalidArgumentError);
    expect(() => getCalendar("XLSE")).toThrow(
      `unknown calendar "XLSE": known calendars are ${KNOWN.join(", ")}, or the path of a .json calendar file`,
    );
    expect(calendarNames()).toEqual(KNOWN);
  });
});
