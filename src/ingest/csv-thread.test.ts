import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { CodedBarColumns } from "../store/index.js";
import { CsvThread, csvThreadSettings } from "./csv-thread.js";
import { Rejects } from "./rejects.js";

const dir = mkdtempSync(join(tmpdir(), "tw-csv-thread-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV of two good rows of SPY, a duplicate of the first and a row with a bad number. */
const file = join(dir, "spy.csv");
writeFileSync(
  file,
  [
    "time,symbol,open,high,low,close,volume",
    "2024-03-08T14:30:00Z,SPY,10,11,9,10.5,100",
    "2024-03-08T14:31:00Z,SPY,10,11,9,10.5,200",
    "2024-03-08T14:30:00Z,SPY,10,11,9,10.5,300",
    "2024-03-08T14:32:00Z,SPY,x,11,9,10.5,400",
    "",
  ].join("\n"),
);

/** The same minutes as naive New York times. */
const naive = join(dir, "naive.csv");
writeFileSync(
  naive,
  "time,symbol,open,high,low,close,volume\n2024-03-08 09:30:00,QQQ,1,2,0.5,1.5,7\n2024-03-08 09:31:00,QQQ,1,2,0.5,1.5,8\n",
);

interface Written {
  symbols: string[];
  times: number[];
  volumes: number[];
}

/** One ingest's parsing through a CsvThread; `fail` makes every write throw. */
async function parse(path: string, tz?: string, fail = false, batchRows = 1000) {
  const settings = csvThreadSettings(getCalendar("XNYS"), {
    timeFormat: "auto",
    tz,
    interval: "1m",
    batchRows,
  });
  if (settings === null) throw new Error("XNYS is a session table");
  const written: Written = { symbols: [], times: [], volumes: [] };
  const rejects = new Rejects();
  const thread = new CsvThread(
    settings,
    async (_interval: string, bars: CodedBarColumns, names: readonly string[]) => {
      if (fail) throw new Error("store down");
      for (let i = 0; i < bars.length; i++) {
        written.symbols.push(names[bars.code[i]]);
        written.times.push(bars.time[i]);
        written.volumes.push(bars.volume[i]);
      }
      return bars.length;
    },
    rejects,
  );
  let error: unknown = null;
  try {
    await thread.importFile(path, undefined, () => {});
    await thread.finish();
  } catch (e) {
    error = e;
  } finally {
    await thread.close();
  }
  return { threadId: thread.threadId, written, rejects, error };
}

describe("CsvThread", () => {
  it("serves the next ingest from the same thread, with none of the last one's state", async () => {
    const first = await parse(file);
    const second = await parse(file);
    const third = await parse(naive, "America/New_York");
    expect(second.threadId).toBe(first.threadId);
    expect(third.threadId).toBe(first.threadId);
    for (const run of [first, second]) {
      // the second run's rows are not duplicates of the first's, its rejections its own
      expect(run.written).toEqual({
        symbols: ["SPY", "SPY"],
        times: [Date.parse("2024-03-08T14:30:00Z"), Date.parse("2024-03-08T14:31:00Z")],
        volumes: [100, 200],
      });
      expect(run.rejects.list.map((r) => [r.line, r.reason])).toEqual([
        [4, "duplicate symbol and time"],
        [5, "open is not a number"],
      ]);
    }
    // the third run's zone and symbols are its own: codes start again at QQQ
    expect(third.written).toEqual({
      symbols: ["QQQ", "QQQ"],
      times: [Date.parse("2024-03-08T14:30:00Z"), Date.parse("2024-03-08T14:31:00Z")],
      volumes: [7, 8],
    });
    expect(third.rejects.count).toBe(0);
  });

  it("fills the last ingest's batch buffers again with only the next one's rows", async () => {
    // seven minutes in batches of three (the first of one row): the sets kept after it are
    // filled again by an ingest of two rows
    const seven = join(dir, "seven.csv");
    const rows = Array.from({ length: 7 }, (_, k) => `2024-03-08T14:${30 + k}:00Z,IWM,1,2,0.5,1.5,${k + 1}`);
    writeFileSync(seven, `time,symbol,open,high,low,close,volume\n${rows.join("\n")}\n`);
    const first = await parse(seven, undefined, false, 3);
    expect(first.written.volumes).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const next = await parse(naive, "America/New_York", false, 3);
    expect(next.threadId).toBe(first.threadId);
    expect(next.written).toEqual({
      symbols: ["QQQ", "QQQ"],
      times: [Date.parse("2024-03-08T14:30:00Z"), Date.parse("2024-03-08T14:31:00Z")],
      volumes: [7, 8],
    });
  });

  it("ends a thread whose ingest failed; the next ingest gets a new one", async () => {
    const failed = await parse(file, undefined, true);
    expect(String(failed.error)).toContain("store down");
    const next = await parse(file);
    expect(next.threadId).not.toBe(failed.threadId);
    expect(next.written.volumes).toEqual([100, 200]);
  });
});
