import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipWithout } from "../testing/deps.js";
import { connectBus } from "./connection.js";
import { ensureStreams, streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";
import { hasNatsServer, TestNats } from "./test-support.js";

describe.skipIf(skipWithout("nats-server", hasNatsServer()))("ensureStreams", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await TestNats.start();
  }, 30_000);
  afterAll(async () => {
    await nats?.stop();
  });

  it("creates the streams once when several processes start at the same moment, each of them succeeding", async () => {
    for (let round = 0; round < 20; round++) {
      const prefix = `race${round}`;
      const subjects = new BusSubjects(prefix);
      const buses = await Promise.all(
        Array.from({ length: 12 }, (_, k) => connectBus(nats.url, `starter-${k}`)),
      );
      try {
        const names = await Promise.all(buses.map((bus) => ensureStreams(bus.jsm, subjects)));
        const expected = streamNames(subjects);
        for (const n of names) expect(n).toEqual(expected);
        const listed: string[] = [];
        for await (const info of buses[0].jsm.streams.list()) listed.push(info.config.name);
        const mine = Object.values(expected);
        expect(listed.filter((name) => mine.includes(name)).sort()).toEqual([...mine].sort());
      } finally {
        await Promise.all(buses.map((bus) => bus.close()));
      }
    }
  }, 60_000);
});
