import { DeliverPolicy } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine } from "../engine/index.js";
import { openRepository, type Repository } from "../store/index.js";
import { renameAction as rename } from "../testing/actions.js";
import { flatBars } from "../testing/bars.js";
import { skipWithout } from "../testing/deps.js";
import { decodeBinaryBatch } from "./binary-batch.js";
import { connectBus } from "./connection.js";
import { BusPublisher, publishReplay } from "./publisher.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";
import { hasNatsServer, TestNats } from "./test-support.js";

const XNYS = getCalendar("XNYS");
const DATES = XNYS.sessions("2024-03-04", "2024-03-14").map((s) => s.date);
const on = (from: string, to: string) => DATES.filter((d) => d >= from && d <= to);

/** Regular-hours minutes of `symbol` on the dates, every price `price`, volume 100. */
const flat = (symbol: string, dates: readonly string[], price: number) =>
  flatBars(XNYS, symbol, dates, price);

describe.skipIf(skipWithout("nats-server", hasNatsServer()))("publishing a replay across renames", () => {
  let nats: TestNats;
  let repository: Repository;

  beforeAll(async () => {
    nats = await TestNats.start();
    repository = await openRepository(":memory:");
    // AOLD became ANEW on 03-07 and CNEW on 03-12; an unrelated security traded as ANEW on 03-05.
    await repository.writeBars("1m", flat("AOLD", on("2024-03-04", "2024-03-06"), 10));
    await repository.writeBars("1m", flat("ANEW", ["2024-03-05"], 99));
    await repository.writeBars("1m", flat("ANEW", on("2024-03-07", "2024-03-11"), 20));
    await repository.writeBars("1m", flat("CNEW", on("2024-03-12", "2024-03-14"), 30));
    await repository.writeBars("1m", flat("BMID", DATES, 5));
    await repository.writeActions([
      rename("ANEW", "2024-03-07", "AOLD"),
      rename("CNEW", "2024-03-12", "ANEW"),
    ]);
  }, 60_000);
  afterAll(async () => {
    await repository?.close();
    await nats?.stop();
  });

  it("publishes a renamed security's whole history under the ticker asked for, the bars a single-process replay delivers", async () => {
    const prefix = "twren";
    const from = "2024-03-05";
    const to = "2024-03-14";
    const symbols = ["CNEW", "BMID"];
    const bus = await connectBus(nats.url);
    try {
      const publisher = await BusPublisher.open(bus, { prefix });
      const { bars } = await publishReplay(publisher, { repository, calendar: XNYS, symbols, from, to });
      const days = on(from, to).length;
      expect(bars).toBe(2 * 390 * days);

      // The raw bars on the bus, in stream order.
      const stream = streamNames(new BusSubjects(prefix)).raw;
      const last = (await bus.jsm.streams.info(stream)).state.last_seq;
      const c = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      const published: string[] = [];
      const closes = new Map<string, Set<number>>();
      for await (const m of await c.consume()) {
        if (m.subject.endsWith(".in.batch")) {
          const d = decodeBinaryBatch(m.data, () => true);
          if (typeof d === "string") throw new Error(d);
          for (let i = 0; i < d.bars.length; i++) {
            const [symbol, time, close] = [d.bars.symbol[i], d.bars.time[i], d.bars.close[i]];
            published.push(`${symbol} ${time} ${close}`);
            const key = `${symbol} ${XNYS.sessionAt(time)!.date}`;
            closes.set(key, (closes.get(key) ?? new Set()).add(close));
          }
        }
        if (m.seq >= last) break;
      }
      // CNEW is AOLD up to 03-06 (not the unrelated ANEW of 03-05), ANEW 03-07..03-11, itself after.
      const cnew = on(from, to).map((d) => [d, [...(closes.get(`CNEW ${d}`) ?? [])]]);
      expect(cnew).toEqual(
        on(from, to).map((d) => [d, [d <= "2024-03-06" ? 10 : d <= "2024-03-11" ? 20 : 30]]),
      );
      expect([...closes.keys()].some((k) => /^(AOLD|ANEW) /.test(k))).toBe(false);

      // The same bars, in the same order, as a single-process replay's one-minute bars.
      const engine = await createEngine(
        { symbols, from, to, upkeep: { enabled: false } },
        { repository, calendar: XNYS },
      );
      const replayed: string[] = [];
      engine.on("bar", (e) => {
        if (e.interval === "1m") replayed.push(`${e.symbol} ${e.time} ${e.close}`);
      });
      await engine.run();
      await engine.close();
      expect(published).toEqual(replayed);
    } finally {
      await bus.close();
    }
  }, 120_000);
});
