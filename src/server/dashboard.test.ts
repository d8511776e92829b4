import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { barsToColumns } from "../model/bar.js";
import { openRepository, type Repository } from "../store/index.js";
import { sessionBars } from "../testing/bars.js";
import { CHROMIUM, REPO_ROOT, skipWithout } from "../testing/deps.js";
import { type RunningServer, startServer } from "./listen.js";

const xnys = getCalendar("XNYS");
/** A symbol made of markup: the dashboard must show it as text and never run it. */
const HOSTILE = `Z<img src=x onerror="document.title='pwned'">`;
const SYMBOLS = ["AAA", "BBB", HOSTILE];

/** The page's document, as far as the conditions below use it (they run in the browser). */
declare const document: {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  querySelector(selector: string): { children: { length: number } } | null;
};

/** Page-side condition: the chart holds more than `n` candles (its data-candles attribute). */
const candlesAbove = (n: number) => Number(document.getElementById("chart")?.dataset.candles) > n;
/** Page-side condition: a table's body has `n` rows. */
const rowsIn = (rows: { table: string; n: number }) =>
  document.querySelector(`${rows.table} tbody`)?.children.length === rows.n;

describe.skipIf(skipWithout("Chromium", existsSync(CHROMIUM)))("dashboard in headless Chromium", () => {
  let repo: Repository;
  let engine: Engine;
  let server: RunningServer;
  let browser: Browser;
  let replay: Promise<unknown>;

  beforeAll(async () => {
    repo = await openRepository(":memory:");
    const session = xnys.sessionOn("2024-03-12")!;
    for (const symbol of SYMBOLS)
      await repo.writeBars("1m", barsToColumns(sessionBars(xnys, session, symbol)));
    // 600 x real time: a one-minute bar every 100 ms, a five-minute candle every 500 ms.
    engine = await createEngine(
      { symbols: SYMBOLS, from: session.date, to: session.date, speed: 600 },
      { repository: repo, calendar: xnys },
    );
    server = await startServer({ engine, port: 0, defaultMetrics: false });
    const warmedUp = new Promise<void>((resolve) => {
      const off = engine.on("bar", (b) => {
        if (b.interval === "5m" && b.symbol === "AAA" && b.time >= session.open + 10 * 60_000) {
          off();
          resolve();
        }
      });
    });
    replay = engine.run();
    await warmedUp;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    await replay;
    await server?.close();
    await repo?.close();
  });

  it("draws candles, adds a new one as the replay advances, and shows symbols as text", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${server.url}/`);

    await page.waitForFunction(candlesAbove, 0);
    const first = Number(await page.getAttribute("#chart", "data-candles"));
    expect(first).toBeGreaterThanOrEqual(3);
    expect(await page.locator("#chart canvas").count()).toBeGreaterThan(0);
    expect(await page.inputValue("#symbol")).toBe("AAA");

    await page.waitForFunction(candlesAbove, first, { timeout: 20_000 });
    const later = Number(await page.getAttribute("#chart", "data-candles"));
    expect(later).toBeGreaterThan(first);
    // Point in time: the newest candle has ended by the engine clock.
    const lastTime = Number(await page.getAttribute("#chart", "data-last-time"));
    expect(lastTime + 5 * 60_000).toBeLessThanOrEqual(engine.clock.now());
    expect(await page.textContent("#stream")).toBe("live");

    await page.waitForFunction(rowsIn, { table: "#symbols", n: 3 });
    const cells = await page.locator("#symbols tbody tr td:first-child").allTextContents();
    expect(cells).toEqual(SYMBOLS);
    expect(await page.locator("#symbols img").count()).toBe(0);
    await page.waitForFunction(rowsIn, { table: "#heatmap", n: 3 });
    expect(await page.locator("#heatmap tbody tr td:first-child").allTextContents()).toEqual(SYMBOLS);
    expect(await page.locator("#heatmap img").count()).toBe(0);
    expect(await page.title()).toBe("tickwright");
    expect(errors).toEqual([]);

    mkdirSync(join(REPO_ROOT, "artifacts"), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, "artifacts", "dashboard.png"), fullPage: true });
  });
});
