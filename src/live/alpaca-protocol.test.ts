import { describe, expect, it } from "vitest";
import { alpacaBar, alpacaQuote, alpacaTrade, parseRfc3339 } from "./alpaca-protocol.js";
import { LiveFeedError } from "./errors.js";

describe("parseRfc3339", () => {
  it("reads nanosecond timestamps to epoch ms, truncating below the millisecond", () => {
    expect(parseRfc3339("2021-02-22T15:51:44.208123456Z")).toBe(Date.UTC(2021, 1, 22, 15, 51, 44, 208));
    expect(parseRfc3339("2021-02-22T15:51:44.208999999Z")).toBe(Date.UTC(2021, 1, 22, 15, 51, 44, 208));
    expect(parseRfc3339("2021-02-22T15:51:00Z")).toBe(Date.UTC(2021, 1, 22, 15, 51));
    expect(parseRfc3339("2021-02-22T10:51:44.5-05:00")).toBe(Date.UTC(2021, 1, 22, 15, 51, 44, 500));
  });

  it("refuses anything else with a typed error naming the field", () => {
    expect(() => parseRfc3339("2021-02-22 15:51:00", "bar t")).toThrow(
      new LiveFeedError('bar t: expected an RFC-3339 timestamp, got "2021-02-22 15:51:00"'),
    );
    expect(() => parseRfc3339(1614009060000)).toThrow("t: expected an RFC-3339 timestamp, got 1614009060000");
    expect(() => parseRfc3339("2021-02-30T15:51:00Z")).toThrow('t: no such time "2021-02-30T15:51:00Z"');
  });
});

describe("alpaca messages", () => {
  it("reads a REST bar (no T, no S) for a given symbol, without n/vw when absent", () => {
    expect(alpacaBar({ t: "2021-02-22T15:51:00Z", o: 1, h: 2, l: 0.5, c: 1.5, v: 10 }, "SPY")).toEqual({
      symbol: "SPY",
      time: Date.UTC(2021, 1, 22, 15, 51),
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 10,
    });
  });

  it("reads a trade without conditions or exchange", () => {
    expect(alpacaTrade({ T: "t", S: "AAPL", p: 10.5, s: 3, t: "2021-02-22T15:51:44Z", c: [] })).toEqual({
      symbol: "AAPL",
      time: Date.UTC(2021, 1, 22, 15, 51, 44),
      price: 10.5,
      size: 3,
    });
  });

  it("reads a quote as a quote update and names a missing field", () => {
    expect(
      alpacaQuote({ T: "q", S: "AMD", bp: 87.66, bs: 1, ap: 87.68, as: 3, t: "2021-02-22T15:51:01Z" }),
    ).toEqual({
      symbol: "AMD",
      time: Date.UTC(2021, 1, 22, 15, 51, 1),
      bid: 87.66,
      bidSize: 1,
      ask: 87.68,
      askSize: 3,
    });
    expect(() =>
      alpacaQuote({ T: "q", S: "AMD", bp: 87.66, bs: 1, ap: 87.68, t: "2021-02-22T15:51:01Z" }),
    ).toThrow('alpaca quote AMD: field "as" must be a finite number, got undefined');
    expect(() => alpacaTrade({ T: "t", p: 1, s: 1, t: "2021-02-22T15:51:01Z" })).toThrow(
      'alpaca trade undefined: field "S" must be a non-empty string, got undefined',
    );
  });
});
