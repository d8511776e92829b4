import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { ConfigInput } from "../config/index.js";
import { createEngine, type Engine, type EngineParts } from "../engine/engine.js";
import { type Bar, barsToColumns } from "../model/bar.js";
import { openRepository, type Repository } from "../store/index.js";
import { sessionBars } from "../testing/bars.js";
import { CHROMIUM, REPO_ROOT, skipWithout } from "../testing/deps.js";
import { RepositoryBarSource } from "../upkeep/index.js";
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

const CHROME_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Page-side condition: the chart holds more than `n` candles (its data-candles attribute). */
const candlesAbove = (n: number) => Number(document.getElementById("chart")?.dataset.candles) > n;
/** Page-side condition: the chart shows `fitted` ("SYMBOL interval") and has drawn its gaps. */
const chartShows = (fitted: string) => document.getElementById("chart")?.dataset.fitted === fitted;
/** Page-side condition: the component list has every component. */
const componentsShown = () => document.querySelector("#components")?.children.length === 6;
/** Page-side condition: a table's body has `n` rows. */
const rowsIn = (rows: { table: string; n: number }) =>
  document.querySelector(`${rows.table} tbody`)?.children.length === rows.n;

/** The gaps table's rows as [symbol, session, minutes, state, retries]. */
const gapRowsOf = (page: Page) =>
  page
    .locator("#gaps tbody tr")
    .evaluateAll((rows) =>
      rows.map((r) =>
        [0, 1, 4, 5, 6].map(
          (i) => (r as unknown as { cells: { textContent: string }[] }).cells[i].textContent,
        ),
      ),
    );
/** The heatmap's cells as [symbol, date, quality, gaps, text]. */
const heatCellsOf = (page: Page) =>
  page.locator("#heatmap td[data-date]").evaluateAll((cells) =>
    cells.map((c) => {
      const d = (c as unknown as { dataset: Record<string, string> }).dataset;
      return [d.symbol, d.date, d.quality, d.gaps, c.textContent];
    }),
  );
/** The symbols table's rows as [symbol, quality, quality text]. */
const tableRowsOf = (page: Page) =>
  page.locator("#symbols tbody tr").evaluateAll((rows) =>
    rows.map((r) => {
      const cells = (r as unknown as { cells: { textContent: string; dataset: Record<string, string> }[] })
        .cells;
      return [cells[0].textContent, cells[2].dataset.quality, cells[2].textContent];
    }),
  );
/** The health list as [component, status, text]. */
const componentsOf = (page: Page) =>
  page.locator("#components li").evaluateAll((items) =>
    items.map((li) => {
      const d = (li as unknown as { dataset: Record<string, string> }).dataset;
      return [d.component, d.status, li.textContent];
    }),
  );

/** A replay over `bars` run to the end, served, with a browser to look at it; `close` ends all. */
async function servedReplay(bars: Bar[], config: ConfigInput, parts: EngineParts = {}) {
  const repo = await openRepository(":memory:");
  await repo.writeBars("1m", barsToColumns(bars));
  const engine = await createEngine(config, { repository: repo, calendar: xnys, ...parts });
  const server = await startServer({ engine, port: 0, defaultMetrics: false });
  await engine.run();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
  return {
    server,
    /** The dashboard in a new page, and the page errors seen; `slow` answers that path 500 ms late. */
    open: async (slow?: string) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      if (slow) {
        await page.route(`**${slow}`, async (route) => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          await route.continue();
        });
      }
      await page.goto(`${server.url}/`);
      return { page, errors };
    },
    close: async () => {
      await browser.close();
      await server.close();
      await engine.close();
      await repo.close();
    },
  };
}

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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
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

/**
 * Two sessions replayed to the end with known gaps: AAA misses minutes 30..34 of the first,
 * which the bar source has (each minute found and filled by its own upkeep cycle: five gaps);
 * BBB misses 10..12 of the first, which nobody has (one gap: the later minutes join it while
 * it is retried, hourly with doubling, until given up after the fourth failure at 17:40),
 * and the last minute of the second (failed at 16:00, 17:00 and 19:00: retrying when the run
 * ends); CCC is complete.
 */
describe.skipIf(skipWithout("Chromium", existsSync(CHROMIUM)))(
  "dashboard of data quality in headless Chromium",
  () => {
    const [first, second] = xnys.sessions("2024-03-11", "2024-03-12");
    let source: Repository;
    let served: Awaited<ReturnType<typeof servedReplay>>;

    beforeAll(async () => {
      source = await openRepository(":memory:");
      await source.writeBars("1m", barsToColumns(sessionBars(xnys, first, "AAA")));
      const aaaMissing = new Set([30, 31, 32, 33, 34]);
      const bars = [
        ...sessionBars(xnys, first, "AAA", { skip: aaaMissing }),
        ...sessionBars(xnys, second, "AAA"),
        ...sessionBars(xnys, first, "BBB", { skip: new Set([10, 11, 12]) }),
        ...sessionBars(xnys, second, "BBB", { skip: new Set([389]) }),
        ...sessionBars(xnys, first, "CCC"),
        ...sessionBars(xnys, second, "CCC"),
      ];
      served = await servedReplay(
        bars,
        {
          symbols: ["AAA", "BBB", "CCC"],
          from: first.date,
          to: second.date,
          upkeep: { maxRetries: 3, backoffSeconds: 3600 },
        },
        { barSource: new RepositoryBarSource(source) },
      );
    });

    afterAll(async () => {
      await served?.close();
      await source?.close();
    });

    it("shades missing minutes, marks filled ones, lists each gap's state and shows the table's numbers in the heatmap", async () => {
      const { server } = served;
      const { page, errors } = await served.open();

      // Gaps table: every gap with its state and retries.
      await page.waitForFunction(rowsIn, { table: "#gaps", n: 7 });
      const gapRows = await gapRowsOf(page);
      expect(gapRows).toEqual([
        ...[0, 1, 2, 3, 4].map(() => ["AAA", first.date, "1", "filled", "0"]),
        ["BBB", first.date, "3", "abandoned", "4"],
        ["BBB", second.date, "1", "retrying", "3"],
      ]);

      // Chart of AAA (the first symbol) at 5m: five filled minutes marked, nothing shaded.
      await page.waitForFunction(chartShows, "AAA 5m");
      expect(await page.getAttribute("#chart", "data-filled")).toBe("5");
      expect(await page.getAttribute("#chart", "data-shaded")).toBe("0");
      // BBB at 15m (both sessions in view): its four missing minutes shaded; at 1m the 500
      // bars shown reach back to 14:09 of the first session, so only the last minute is in view.
      // The chart re-fits to each new choice.
      await page.selectOption("#symbol", "BBB");
      await page.selectOption("#interval", "15m");
      await page.waitForFunction(chartShows, "BBB 15m");
      expect(await page.getAttribute("#chart", "data-shaded")).toBe("4");
      expect(await page.getAttribute("#chart", "data-filled")).toBe("0");
      await page.selectOption("#interval", "1m");
      await page.waitForFunction(chartShows, "BBB 1m");
      expect(await page.getAttribute("#chart", "data-shaded")).toBe("1");
      expect(await page.locator("#interval option").allTextContents()).toContain("1d");

      // Heatmap over both sessions; its cells are the table's numbers and the gaps table's counts.
      await page.waitForFunction(rowsIn, { table: "#heatmap", n: 3 });
      const heat = (await heatCellsOf(page)).map((cell) => cell.slice(0, 4));
      // (the gaps column counts the gaps table's rows of that symbol and session)
      expect(heat).toEqual([
        ["AAA", first.date, "100", "5"],
        ["AAA", second.date, "100", "0"],
        ["BBB", first.date, "99.23", "1"],
        ["BBB", second.date, "99.74", "1"],
        ["CCC", first.date, "100", "0"],
        ["CCC", second.date, "100", "0"],
      ]);
      const table = await tableRowsOf(page);
      expect(await page.textContent("#session")).toBe(second.date);
      expect(table).toEqual([
        ["AAA", "100", "100%"],
        ["BBB", "99.74", "99.7%"],
        ["CCC", "100", "100%"],
      ]);
      // The server's own answer for the table's session (not only the page's cells) is the table's.
      const api = (await (await fetch(`${server.url}/api/quality`)).json()) as { quality: number[][] };
      expect(api.quality.map((row) => row[1])).toEqual(table.map(([, q]) => Number(q)));
      for (const [symbol, , text] of table) {
        const cell = page.locator(`#heatmap td[data-symbol="${symbol}"][data-date="${second.date}"]`);
        expect(`${await cell.textContent()}%`).toBe(text);
      }

      // Health per component, as /health reports it (the event loop's lag is this busy test
      // process's own, so only its presence and form are checked).
      await page.waitForFunction(componentsShown);
      const shown = await componentsOf(page);
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        components: Record<string, { status: string }>;
      };
      const names = ["store", "feed", "upkeep", "prefetch", "boundaries"];
      expect(shown.slice(0, 5).map(([n, status]) => [n, status])).toEqual(
        names.map((n) => [n, health.components[n].status]),
      );
      expect(shown[1][2]).toBe("feedokstore replay, done");
      expect(shown[2][2]).toBe("upkeepok1 open gaps, 5 filled, 1 abandoned");
      expect(shown[5][0]).toBe("eventLoop");
      expect(shown[5][2]).toMatch(/^event loop(ok|degraded)lag p99 \d+\.\d ms$/);
      expect(errors).toEqual([]);
      mkdirSync(join(REPO_ROOT, "artifacts"), { recursive: true });
      await page.screenshot({ path: join(REPO_ROOT, "artifacts", "dashboard-gaps.png"), fullPage: true });
    });
  },
);

/**
 * One session replayed to the end with gaps detected and not filled (`upkeep.fillGaps`
 * false, as a store audited without a fill source): DDD misses minutes 100..102 and 200, two
 * gaps that stay open; EEE is complete.
 */
describe.skipIf(skipWithout("Chromium", existsSync(CHROMIUM)))(
  "dashboard of gaps left open in headless Chromium",
  () => {
    const session = xnys.sessionOn("2024-03-13")!;
    let served: Awaited<ReturnType<typeof servedReplay>>;

    beforeAll(async () => {
      const bars = [
        ...sessionBars(xnys, session, "DDD", { skip: new Set([100, 101, 102, 200]) }),
        ...sessionBars(xnys, session, "EEE"),
      ];
      served = await servedReplay(bars, {
        symbols: ["DDD", "EEE"],
        from: session.date,
        to: session.date,
        upkeep: { fillGaps: false },
      });
    });

    afterAll(async () => {
      await served?.close();
    });

    it("lists open gaps, shades their minutes, shows the server's quality figures alike in table and heatmap, and each component's health", async () => {
      const { server } = served;
      const { page, errors } = await served.open();

      await page.waitForFunction(rowsIn, { table: "#gaps", n: 2 });
      expect(await gapRowsOf(page)).toEqual([
        ["DDD", session.date, "3", "open", "0"],
        ["DDD", session.date, "1", "open", "0"],
      ]);
      const open = await page.locator('#gaps td[data-state="open"]').count();
      expect(open).toBe(2);

      // DDD's four missing minutes shaded at 5m (two candles) and at 1m; nothing marked filled.
      await page.waitForFunction(chartShows, "DDD 5m");
      expect([
        await page.getAttribute("#chart", "data-shaded"),
        await page.getAttribute("#chart", "data-filled"),
      ]).toEqual(["4", "0"]);
      await page.selectOption("#interval", "1m");
      await page.waitForFunction(chartShows, "DDD 1m");
      expect(await page.getAttribute("#chart", "data-shaded")).toBe("4");

      // 386 of 390 minutes: 98.97%. The table, the heatmap and /api/quality say the same.
      await page.waitForFunction(rowsIn, { table: "#heatmap", n: 2 });
      expect(await tableRowsOf(page)).toEqual([
        ["DDD", "98.97", "99.0%"],
        ["EEE", "100", "100%"],
      ]);
      expect(await heatCellsOf(page)).toEqual([
        ["DDD", session.date, "98.97", "2", "99.0"],
        ["EEE", session.date, "100", "0", "100"],
      ]);
      const api = (await (await fetch(`${server.url}/api/quality`)).json()) as {
        dates: string[];
        quality: number[][];
        gaps: number[][];
      };
      expect([api.dates, api.quality, api.gaps]).toEqual([[session.date], [[98.97], [100]], [[2], [0]]]);

      // Health: every component with the status /health gives it and what it says (the event
      // loop's lag is this busy test process's own: only its presence and form are checked).
      await page.waitForFunction(componentsShown);
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        components: Record<string, { status: string }>;
      };
      const shown = await componentsOf(page);
      expect(shown.map(([name, status]) => [name, status])).toEqual([
        ...["store", "feed", "upkeep", "prefetch", "boundaries"].map((n) => [n, health.components[n].status]),
        ["eventLoop", shown[5][1]],
      ]);
      const texts = shown.map(([, , text]) => text);
      expect(texts[0]).toMatch(/^storeok[a-z]+, \d+ reads, 0 failed$/);
      expect(texts.slice(1, 5)).toEqual([
        "feedokstore replay, done",
        "upkeepok2 open gaps, 0 filled, 0 abandoned",
        `prefetchok${session.date} ready`,
        "boundariesoknext preOpen 2024-03-14 04:00",
      ]);
      expect(texts[5]).toMatch(/^event loop(ok|degraded)lag p99 \d+\.\d ms$/);
      expect(errors).toEqual([]);
    });

    it("shows health's times in the exchange's zone when /api/symbols, which names the zone, answers last", async () => {
      const { page, errors } = await served.open("/api/symbols");
      await page.waitForFunction(componentsShown);
      expect((await componentsOf(page))[4][2]).toBe("boundariesoknext preOpen 2024-03-14 04:00");
      expect(errors).toEqual([]);
    });
  },
);
