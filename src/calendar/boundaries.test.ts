import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../clock/simulated.js";
import { isoUtc } from "../model/time.js";
import { type BoundaryEvent, BoundaryManager, nextBoundary } from "./boundaries.js";
import { calendarFromJson } from "./json.js";
import { getCalendar } from "./registry.js";

const xnys = getCalendar("XNYS");
const at = (iso: string) => Date.parse(iso);

/** Records events as `type date at [seen at now]` lines. */
function recorder(clock: SimulatedClock, withNow = false) {
  const lines: string[] = [];
  const listener = (e: BoundaryEvent) => {
    lines.push(`${e.type} ${e.session.date} ${isoUtc(e.at)}${withNow ? ` @${isoUtc(clock.now())}` : ""}`);
  };
  return { lines, listener };
}

describe("BoundaryManager on a simulated clock", () => {
  it("emits the Thanksgiving week 2024 exactly: holiday skipped, 13:00 early close, rolls after closes", async () => {
    const clock = new SimulatedClock(at("2024-11-25T00:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { autoRoll: true });
    const { lines, listener } = recorder(clock, true);
    manager.on(listener);
    await manager.start();
    expect(manager.next()?.type).toBe("preOpen");
    await clock.advanceTo(at("2024-11-30T00:00:00Z"));
    expect(lines).toEqual([
      "preOpen 2024-11-25 2024-11-25T09:00:00Z @2024-11-25T09:00:00Z",
      "open 2024-11-25 2024-11-25T14:30:00Z @2024-11-25T14:30:00Z",
      "close 2024-11-25 2024-11-25T21:00:00Z @2024-11-25T21:00:00Z",
      "roll 2024-11-25 2024-11-25T21:00:00Z @2024-11-25T21:00:00Z",
      "postClose 2024-11-25 2024-11-26T01:00:00Z @2024-11-26T01:00:00Z",
      "preOpen 2024-11-26 2024-11-26T09:00:00Z @2024-11-26T09:00:00Z",
      "open 2024-11-26 2024-11-26T14:30:00Z @2024-11-26T14:30:00Z",
      "close 2024-11-26 2024-11-26T21:00:00Z @2024-11-26T21:00:00Z",
      "roll 2024-11-26 2024-11-26T21:00:00Z @2024-11-26T21:00:00Z",
      "postClose 2024-11-26 2024-11-27T01:00:00Z @2024-11-27T01:00:00Z",
      "preOpen 2024-11-27 2024-11-27T09:00:00Z @2024-11-27T09:00:00Z",
      "open 2024-11-27 2024-11-27T14:30:00Z @2024-11-27T14:30:00Z",
      "close 2024-11-27 2024-11-27T21:00:00Z @2024-11-27T21:00:00Z",
      "roll 2024-11-27 2024-11-27T21:00:00Z @2024-11-27T21:00:00Z",
      "postClose 2024-11-27 2024-11-28T01:00:00Z @2024-11-28T01:00:00Z",
      "preOpen 2024-11-29 2024-11-29T09:00:00Z @2024-11-29T09:00:00Z",
      "open 2024-11-29 2024-11-29T14:30:00Z @2024-11-29T14:30:00Z",
      "close 2024-11-29 2024-11-29T18:00:00Z @2024-11-29T18:00:00Z",
      "roll 2024-11-29 2024-11-29T18:00:00Z @2024-11-29T18:00:00Z",
      "postClose 2024-11-29 2024-11-29T22:00:00Z @2024-11-29T22:00:00Z",
    ]);
    expect(isoUtc(manager.next()!.at)).toBe("2024-12-02T09:00:00Z");
    expect(manager.status()).toMatchObject({ calendar: "XNYS", running: true, emitted: 20, state: "closed" });
    expect(clock.pending()).toBe(1);
  });

  it("emits only open and close without extended hours", async () => {
    const clock = new SimulatedClock(at("2024-11-27T00:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { extended: false });
    const { lines, listener } = recorder(clock);
    manager.on(listener);
    await manager.start();
    await clock.advanceTo(at("2024-11-30T00:00:00Z"));
    expect(lines).toEqual([
      "open 2024-11-27 2024-11-27T14:30:00Z",
      "close 2024-11-27 2024-11-27T21:00:00Z",
      "open 2024-11-29 2024-11-29T14:30:00Z",
      "close 2024-11-29 2024-11-29T18:00:00Z",
    ]);
  });

  it("emits breakStart and breakEnd between open and close, only for sessions with a break", async () => {
    const tokyo = calendarFromJson({
      name: "TOKYO-LIKE",
      timeZone: "Asia/Tokyo",
      from: "2024-01-01",
      to: "2024-01-31",
      weekly: {
        tue: { open: "09:00", close: "15:00", breakStart: "11:30", breakEnd: "12:30" },
        wed: { open: "09:00", close: "15:00" },
      },
    });
    const clock = new SimulatedClock(at("2024-01-08T00:00:00Z"));
    const manager = new BoundaryManager(clock, tokyo, { extended: false, autoRoll: true });
    const { lines, listener } = recorder(clock);
    manager.on(listener);
    await manager.start();
    await clock.advanceTo(at("2024-01-11T00:00:00Z"));
    expect(lines).toEqual([
      "open 2024-01-09 2024-01-09T00:00:00Z",
      "breakStart 2024-01-09 2024-01-09T02:30:00Z",
      "breakEnd 2024-01-09 2024-01-09T03:30:00Z",
      "close 2024-01-09 2024-01-09T06:00:00Z",
      "roll 2024-01-09 2024-01-09T06:00:00Z",
      "open 2024-01-10 2024-01-10T00:00:00Z",
      "close 2024-01-10 2024-01-10T06:00:00Z",
      "roll 2024-01-10 2024-01-10T06:00:00Z",
    ]);
    expect(nextBoundary(tokyo, at("2024-01-16T01:00:00Z"))).toMatchObject({
      type: "breakStart",
      at: at("2024-01-16T02:30:00Z"),
    });
    const quiet = new BoundaryManager(new SimulatedClock(at("2024-01-09T01:00:00Z")), tokyo, {
      breaks: false,
    });
    await quiet.start();
    expect(quiet.next()?.type).toBe("close");
  });

  it("started mid-session, emits that session's preOpen and open at once with their true times", async () => {
    const clock = new SimulatedClock(at("2024-11-26T16:00:00Z"));
    const manager = new BoundaryManager(clock, xnys);
    const { lines, listener } = recorder(clock, true);
    manager.on(listener);
    await manager.start();
    expect(lines).toEqual([
      "preOpen 2024-11-26 2024-11-26T09:00:00Z @2024-11-26T16:00:00Z",
      "open 2024-11-26 2024-11-26T14:30:00Z @2024-11-26T16:00:00Z",
    ]);
    await clock.advanceTo(at("2024-11-26T21:00:00Z"));
    expect(lines.at(-1)).toBe("close 2024-11-26 2024-11-26T21:00:00Z @2024-11-26T21:00:00Z");
  });

  it("started with fromTime, catches up every boundary from then, including those at fromTime", async () => {
    const clock = new SimulatedClock(at("2024-11-27T15:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { autoRoll: true });
    const { lines, listener } = recorder(clock);
    manager.on(listener);
    await manager.start(at("2024-11-26T21:00:00Z"));
    expect(lines).toEqual([
      "close 2024-11-26 2024-11-26T21:00:00Z",
      "roll 2024-11-26 2024-11-26T21:00:00Z",
      "postClose 2024-11-26 2024-11-27T01:00:00Z",
      "preOpen 2024-11-27 2024-11-27T09:00:00Z",
      "open 2024-11-27 2024-11-27T14:30:00Z",
    ]);
  });

  it("after a skipped stretch, emits each missed boundary once, in order, with its true time", async () => {
    const clock = new SimulatedClock(at("2024-11-25T12:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { autoRoll: true });
    const { lines, listener } = recorder(clock, true);
    manager.on(listener);
    await manager.start(at("2024-11-25T12:00:00Z"));
    // The clock jumps (a paused live feed, a gap in replay data) without running timers.
    clock.set(at("2024-11-27T15:00:00Z"));
    await clock.advanceTo(at("2024-11-27T15:00:00Z"));
    expect(lines).toEqual([
      "open 2024-11-25 2024-11-25T14:30:00Z @2024-11-27T15:00:00Z",
      "close 2024-11-25 2024-11-25T21:00:00Z @2024-11-27T15:00:00Z",
      "roll 2024-11-25 2024-11-25T21:00:00Z @2024-11-27T15:00:00Z",
      "postClose 2024-11-25 2024-11-26T01:00:00Z @2024-11-27T15:00:00Z",
      "preOpen 2024-11-26 2024-11-26T09:00:00Z @2024-11-27T15:00:00Z",
      "open 2024-11-26 2024-11-26T14:30:00Z @2024-11-27T15:00:00Z",
      "close 2024-11-26 2024-11-26T21:00:00Z @2024-11-27T15:00:00Z",
      "roll 2024-11-26 2024-11-26T21:00:00Z @2024-11-27T15:00:00Z",
      "postClose 2024-11-26 2024-11-27T01:00:00Z @2024-11-27T15:00:00Z",
      "preOpen 2024-11-27 2024-11-27T09:00:00Z @2024-11-27T15:00:00Z",
      "open 2024-11-27 2024-11-27T14:30:00Z @2024-11-27T15:00:00Z",
    ]);
    await clock.advanceTo(at("2024-11-27T21:00:00Z"));
    expect(lines.slice(11)).toEqual([
      "close 2024-11-27 2024-11-27T21:00:00Z @2024-11-27T21:00:00Z",
      "roll 2024-11-27 2024-11-27T21:00:00Z @2024-11-27T21:00:00Z",
    ]);
  });

  it("awaits an async listener before the next boundary, so advanceTo resolves after it", async () => {
    const clock = new SimulatedClock(at("2024-11-29T00:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { extended: false, autoRoll: true });
    const log: string[] = [];
    manager.on(async (e) => {
      log.push(`begin ${e.type}`);
      await new Promise<void>((r) => setImmediate(r));
      log.push(`end ${e.type}`);
    });
    manager.on((e) => {
      log.push(`second ${e.type}`);
    });
    await manager.start();
    await clock.advanceTo(at("2024-11-29T23:00:00Z"));
    expect(log).toEqual([
      "begin open",
      "end open",
      "second open",
      "begin close",
      "end close",
      "second close",
      "begin roll",
      "end roll",
      "second roll",
    ]);
  });

  it("emits nothing after stop and resumes, catching up, on start", async () => {
    const clock = new SimulatedClock(at("2024-11-25T00:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { extended: false });
    const { lines, listener } = recorder(clock);
    const off = manager.on(listener);
    await manager.start();
    await clock.advanceTo(at("2024-11-25T15:00:00Z"));
    manager.stop();
    expect(clock.pending()).toBe(0);
    await clock.advanceTo(at("2024-11-26T15:00:00Z"));
    expect(lines).toEqual(["open 2024-11-25 2024-11-25T14:30:00Z"]);
    expect(manager.status().running).toBe(false);
    await manager.start(at("2024-11-25T15:00:00Z"));
    expect(lines.slice(1)).toEqual([
      "close 2024-11-25 2024-11-25T21:00:00Z",
      "open 2024-11-26 2024-11-26T14:30:00Z",
    ]);
    off();
    await clock.advanceTo(at("2024-11-27T00:00:00Z"));
    expect(lines).toHaveLength(3);
    expect(manager.status().emitted).toBe(4);
  });

  it("keeps emitting after a listener throws: the error reaches the clock, the next timer stays", async () => {
    const clock = new SimulatedClock(at("2024-11-25T00:00:00Z"));
    const manager = new BoundaryManager(clock, xnys, { extended: false });
    const seen: string[] = [];
    manager.on((e) => {
      seen.push(e.type);
      if (e.type === "open") throw new Error("listener failed");
    });
    await manager.start();
    await expect(clock.advanceTo(at("2024-11-25T15:00:00Z"))).rejects.toThrow("listener failed");
    await clock.advanceTo(at("2024-11-25T22:00:00Z"));
    expect(seen).toEqual(["open", "close"]);
  });

  it("orders boundaries at one instant on 24/7: a day's close and postClose before the next day's preOpen and open", async () => {
    const clock = new SimulatedClock(at("2024-01-01T12:00:00Z"));
    const manager = new BoundaryManager(clock, getCalendar("24/7"), { autoRoll: true });
    const { lines, listener } = recorder(clock);
    manager.on(listener);
    await manager.start(at("2024-01-02T00:00:00Z"));
    await clock.advanceTo(at("2024-01-03T00:00:00Z"));
    expect(lines).toEqual([
      "close 2024-01-01 2024-01-02T00:00:00Z",
      "roll 2024-01-01 2024-01-02T00:00:00Z",
      "postClose 2024-01-01 2024-01-02T00:00:00Z",
      "preOpen 2024-01-02 2024-01-02T00:00:00Z",
      "open 2024-01-02 2024-01-02T00:00:00Z",
      "close 2024-01-02 2024-01-03T00:00:00Z",
      "roll 2024-01-02 2024-01-03T00:00:00Z",
      "postClose 2024-01-02 2024-01-03T00:00:00Z",
      "preOpen 2024-01-03 2024-01-03T00:00:00Z",
      "open 2024-01-03 2024-01-03T00:00:00Z",
    ]);
  });
});

describe("nextBoundary", () => {
  const next = (iso: string, extended?: boolean) => {
    const b = nextBoundary(xnys, at(iso), extended);
    return b && `${b.type} ${b.session.date} ${isoUtc(b.at)}`;
  };

  it("is the first boundary strictly after t, across a holiday and a weekend", () => {
    expect(next("2024-11-29T14:30:00Z")).toBe("close 2024-11-29 2024-11-29T18:00:00Z");
    expect(next("2024-11-29T14:29:59Z")).toBe("open 2024-11-29 2024-11-29T14:30:00Z");
    expect(next("2024-11-29T18:00:00Z")).toBe("postClose 2024-11-29 2024-11-29T22:00:00Z");
    expect(next("2024-11-29T18:00:00Z", false)).toBe("open 2024-12-02 2024-12-02T14:30:00Z");
    expect(next("2024-11-27T23:00:00Z")).toBe("postClose 2024-11-27 2024-11-28T01:00:00Z");
    expect(next("2024-11-28T01:00:00Z")).toBe("preOpen 2024-11-29 2024-11-29T09:00:00Z");
  });

  it("is undefined past the end of the calendar", () => {
    expect(nextBoundary(xnys, at("2051-01-01T00:00:00Z"))).toBeUndefined();
  });
});
