import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNumber, splitQuoted } from "./bytes.js";

const num = (s: string) => {
  const b = Buffer.from(s, "latin1");
  return parseNumber(b, 0, b.length);
};

describe("parseNumber", () => {
  it("reads decimals exactly as Number() does", () => {
    expect(num("167.43")).toBe(167.43);
    expect(num(" -0.5 ")).toBe(-0.5);
    expect(num("+12")).toBe(12);
    expect(num("1e3")).toBe(1000);
    expect(num("0.1")).toBe(0.1);
    expect(num("81489219")).toBe(81489219);
    expect(num("12345678901234567890")).toBe(Number("12345678901234567890"));
  });

  it("returns NaN for empty or non-numeric fields", () => {
    for (const bad of ["", "  ", "abc", "1.2.3", "1,5", "0x10", "-", ".", "NaN", "12a"])
      expect(num(bad), bad).toBeNaN();
  });

  it("equals Number(text) on random decimal strings (property)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.stringMatching(/^[0-9]{1,12}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,9}$/)),
        (neg, int, frac) => {
          const text = `${neg ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}`;
          expect(num(text)).toBe(Number(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("splitQuoted", () => {
  it("splits quoted fields, unescaping doubled quotes", () => {
    expect(splitQuoted('"SPY","2013-10-07T13:30Z",1,"a,b","say ""hi"""')).toEqual([
      "SPY",
      "2013-10-07T13:30Z",
      "1",
      "a,b",
      'say "hi"',
    ]);
  });
});
