import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** 2024-01-03 04:00 New York (09:00 UTC), the first minute of an extended XNYS session, in epoch s. */
const DAY_START_S = Date.UTC(2024, 0, 3, 9) / 1000;
/** Minutes of that extended session (04:00-20:00). */
const SESSION_MINUTES = 960;

/** The rows of a CSV written by `writeLongRowCsv`. */
export interface LongRowCsv {
  /** Good rows (stored), and long rows (rejected: one field too many). */
  good: number;
  long: number;
  bytes: number;
}

/**
 * Writes a CSV of `long` rows of about `longRowBytes` each (a good row with an eighth field of
 * `x`s under a seven-column header: rejected, "8 fields, expected 7"), each followed by
 * `goodPerLong` good rows of distinct (symbol, minute) within one extended session of 1,000
 * symbols. Memory stays at one long row.
 */
export async function writeLongRowCsv(
  path: string,
  long: number,
  longRowBytes: number,
  goodPerLong: number,
): Promise<LongRowCsv> {
  const symbols = 1000;
  if (long * goodPerLong > symbols * SESSION_MINUTES)
    throw new Error("more good rows than the session holds");
  const out = createWriteStream(path, { highWaterMark: 8 << 20 });
  let bytes = 0;
  let failed: Error | null = null;
  out.on("error", (err) => {
    failed = err;
  });
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    if (failed) throw failed;
  };
  await write("time,symbol,open,high,low,close,volume\n");
  const pad = "x".repeat(longRowBytes);
  let good = 0;
  for (let i = 0; i < long; i++) {
    await write(`${DAY_START_S},LONG,1,2,0.5,1.5,10,${pad}\n`);
    const rows: string[] = [];
    for (let j = 0; j < goodPerLong; j++, good++) {
      const t = DAY_START_S + Math.floor(good / symbols) * 60;
      rows.push(`${t},S${good % symbols},1,2,0.5,1.5,${good}\n`);
    }
    await write(rows.join(""));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return { good, long, bytes };
}

/** What a `tickwright` run in a child process did, and its peak resident memory. */
export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssBytes: number;
}

/** The built CLI: beside this file's build, or in dist/ when this runs from its source (tests). */
const MAIN = new URL(
  import.meta.url.endsWith(".ts") ? "../dist/src/cli/main.js" : "../src/cli/main.js",
  import.meta.url,
);
const CHILD = `const { main } = await import(process.env.TW_MAIN);
const code = await main(["node", "tickwright", ...JSON.parse(process.env.TW_ARGS)]);
process.stderr.write("peak-rss " + process.resourceUsage().maxRSS * 1024 + "\\n");
process.exitCode = code;`;

/**
 * Runs the built `tickwright ARGS` in a child process (worker threads included) and reports
 * its peak RSS (`process.resourceUsage().maxRSS`, taken as it ends).
 */
export function runMeasured(args: readonly string[]): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    // a module of its own (an --input-type flag would be inherited by the worker threads)
    const dir = mkdtempSync(join(tmpdir(), "tw-measured-"));
    const script = join(dir, "run.mjs");
    writeFileSync(script, CHILD);
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, TW_MAIN: MAIN.href, TW_ARGS: JSON.stringify(args) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      rmSync(dir, { recursive: true, force: true });
      const m = /peak-rss (\d+)\n/.exec(stderr);
      resolve({
        code,
        stdout,
        stderr: stderr.replace(/peak-rss \d+\n/, ""),
        peakRssBytes: m ? Number(m[1]) : Number.NaN,
      });
    });
  });
}
