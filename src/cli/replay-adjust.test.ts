import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { run } from "../testing/cli.js";

const XNYS = getCalendar("XNYS");
const dir = mkdtempSync(join(tmpdir(), "tw-replay-adjust-"));
const db = join(dir, "market.duckdb");
const RANGE = ["--from", "2024-01-02", "--to", "2024-01-05"];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// AAA on 2024-01-02..05 with a 2:1 split from 01-04; OLD on 01-02..03, renamed NEW from 01-04.
beforeAll(async () => {
  for (const [symbol, days, start] of [
    ["AAA", "4", "2024-01-02"],
    ["OLD", "2", "2024-01-02"],
    ["NEW", "2", "2024-01-04"],
  ]) {
    const g = await run("generate", "--symbols", symbol, "--days", days, "--start", start, "--db", db);
    expect(g.code, g.stderr).toBe(0);
  }
  const csv = join(dir, "actions.csv");
  writeFileSync(csv, "symbol,date,kind,value\nAAA,2024-01-04,split,2\nOLD,2024-01-04,rename,NEW\n");
  const a = await run("ingest", csv, "--format", "actions", "--db", db);
  expect([a.code, a.stdout]).toEqual([0, expect.stringContaining("2 stored, 0 rejected")]);
}, 60_000);

interface Line {
  type: string;
  symbol?: string;
  interval?: string;
  time?: number;
}

/** Replays AAA and NEW with `args`, exit 0; the events written with --out. */
async function replay(...args: string[]): Promise<Line[]> {
  const out = join(dir, "events.jsonl");
  const r = await run(
    "replay",
    "--symbols",
    "AAA,NEW",
    ...RANGE,
    "--json",
    "--out",
    out,
    "--db",
    db,
    ...args,
  );
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

/** The actions of a replay, each with the dates of the one-minute bars right before and after it. */
function actionsBetweenBars(lines: Line[]): unknown[] {
  const dateOf = (l: Line | undefined) => (l ? XNYS.sessionAt(l.time!)!.date : undefined);
  const minute = (l: Line) => l.type === "bar" && l.interval === "1m";
  return lines.flatMap((l, i) => {
    if (l.type !== "rename" && l.type !== "corporateAction") return [];
    const { at: _at, ...rest } = l as Line & { at: number };
    const before = lines.slice(0, i).findLast(minute);
    const after = lines.slice(i).find(minute);
    return [{ ...rest, between: [dateOf(before), dateOf(after)] }];
  });
}

const RENAME = {
  type: "rename",
  symbol: "NEW",
  date: "2024-01-04",
  ticker: "NEW",
  previous: "OLD",
  between: ["2024-01-03", "2024-01-04"],
};
const SPLIT = {
  type: "corporateAction",
  symbol: "AAA",
  date: "2024-01-04",
  kind: "split",
  value: 2,
  factor: 0.5,
  between: ["2024-01-03", "2024-01-04"],
};

describe("tickwright replay --adjust", () => {
  it("announces the split (split, adjusted) and the rename (any mode) between the last bar before the ex-date and the first on it", async () => {
    expect(actionsBetweenBars(await replay("--adjust", "split"))).toEqual([RENAME, SPLIT]);
    expect(actionsBetweenBars(await replay("--adjust", "adjusted"))).toEqual([RENAME, SPLIT]);
    expect(actionsBetweenBars(await replay("--adjust", "raw"))).toEqual([RENAME]);
    expect(actionsBetweenBars(await replay())).toEqual([RENAME]);
  });

  it("replays the renamed security as one symbol: NEW's 390 minutes on every session, OLD's bars before the rename", async () => {
    const lines = await replay();
    const perDate = new Map<string, number>();
    for (const l of lines) {
      if (l.type !== "bar" || l.interval !== "1m") continue;
      expect(["AAA", "NEW"]).toContain(l.symbol);
      if (l.symbol !== "NEW") continue;
      const date = XNYS.sessionAt(l.time!)!.date;
      perDate.set(date, (perDate.get(date) ?? 0) + 1);
    }
    expect(Object.fromEntries(perDate)).toEqual({
      "2024-01-02": 390,
      "2024-01-03": 390,
      "2024-01-04": 390,
      "2024-01-05": 390,
    });
    const closes = (csv: string) =>
      csv
        .trim()
        .split("\n")
        .slice(1)
        .map((r) => r.split(",")[4]);
    const old = await run("bars", "OLD", "--from", "2024-01-02", "--to", "2024-01-03", "--db", db);
    const replayed = lines
      .filter(
        (l) => l.symbol === "NEW" && l.interval === "1m" && l.time! < XNYS.sessionOn("2024-01-04")!.open,
      )
      .map((l) => String((l as Line & { close: number }).close));
    expect(replayed).toEqual(closes(old.stdout));
  });

  it("takes adjust from --config, the flag overriding it", async () => {
    const config = join(dir, "tickwright.json");
    writeFileSync(config, JSON.stringify({ adjust: "split" }));
    expect(actionsBetweenBars(await replay("--config", config))).toEqual([RENAME, SPLIT]);
    expect(actionsBetweenBars(await replay("--config", config, "--adjust", "raw"))).toEqual([RENAME]);
  });

  it("refuses a mode it does not know, and lists the option in --help", async () => {
    const bad = await run("replay", "--symbols", "AAA", ...RANGE, "--adjust", "dividends", "--db", db);
    expect([bad.code, bad.stdout, bad.stderr]).toEqual([
      2,
      "",
      'tickwright: bad --adjust "dividends": expected one of raw, split, adjusted\n',
    ]);
    const help = await run("replay", "--help");
    expect(help.stdout).toMatch(/--adjust <mode> +history held as traded \(raw, the default\)/);
  });
});
