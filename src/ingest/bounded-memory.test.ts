import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMeasured, writeLongRowCsv } from "../../bench/ingest-memory.js";
import { skipSlow } from "../testing/deps.js";
import { RAW_LIMIT_BYTES } from "./rejects.js";

// Made by the slow test itself: a file whose tests are all skipped runs no hook.
let dir = "";
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Lines of a file, counted as it streams. */
async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** The first line after the header. */
async function secondLine(path: string): Promise<string> {
  for await (const chunk of createReadStream(path, { end: 1 << 16 }) as AsyncIterable<Buffer>) {
    return chunk.toString("utf8").split("\n")[1];
  }
  return "";
}

const MB = 1 << 20;

describe.skipIf(skipSlow("ingesting a 640 MB CSV into a 600 MB rejects file"))("bounded memory", () => {
  it("streams a rejects file of over 600 MB, every row counted, each raw text cut to 1 KB, in bounded memory", async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-bounded-"));
    const csv = join(dir, "long-rows.csv");
    const long = 560_000;
    const made = await writeLongRowCsv(csv, long, 1100, 1);
    expect(made).toMatchObject({ good: long, long });
    const rejects = join(dir, "rejects.csv");
    const r = await runMeasured([
      "ingest",
      csv,
      "--format",
      "csv",
      "--db",
      join(dir, "b.duckdb"),
      "--rejects",
      rejects,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\(0 failed\): 1,120,000 rows read, 560,000 stored, 560,000 rejected .*\n {2}minute: 1,120,000 read, 560,000 stored, 560,000 rejected\n/,
    );
    expect(r.stdout).toContain("rejected by reason:\n  8 fields, expected 7: 560,000\n");
    expect(statSync(rejects).size).toBeGreaterThan(600e6);
    expect(await countLines(rejects)).toBe(long + 1);
    const row = `1704272400,LONG,1,2,0.5,1.5,10,${"x".repeat(1100)}`;
    const kept = `${row.slice(0, RAW_LIMIT_BYTES)}... [${row.length - RAW_LIMIT_BYTES} more bytes]`;
    expect(await secondLine(rejects)).toBe(`${csv},2,"8 fields, expected 7","${kept}"`);
    expect(r.peakRssBytes).toBeLessThan(500 * MB);
    console.log(
      `peak RSS ${(r.peakRssBytes / MB).toFixed(0)} MB for a ${(made.bytes / MB).toFixed(0)} MB CSV`,
    );
  }, 600_000);
});
