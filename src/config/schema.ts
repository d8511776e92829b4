import { z } from "zod";
import { parseInterval } from "../model/interval.js";
import { nearestKey, schemaKeys } from "./keys.js";

const interval = z.string().refine(
  (s) => {
    try {
      parseInterval(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "not an interval (1m 2m 3m 5m 10m 15m 30m 60m 1h 1d, or N minutes dividing a day)" },
);

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");

/** Every setting, with its default (docs/deployment.md lists them with their variables). */
export const configSchema = z
  .object({
    /** `backtest` replays stored data on a simulated clock; `live` runs on the wall clock. */
    mode: z.enum(["backtest", "live"]).default("backtest"),
    /** DuckDB file, `:memory:`, or a `postgres://` URL. */
    db: z.string().min(1).default("./data/tickwright.duckdb"),
    /** A built-in calendar's name (XNYS, XTKS, 24/7, ...: `calendarNames()`) or a path to a JSON calendar. */
    calendar: z.string().min(1).default("XNYS"),
    /**
     * Symbols to replay or subscribe; empty with `allSymbols` takes every stored symbol. An
     * entry `{ symbol, calendar }` names the symbol's market (else `calendars`, else `calendar`).
     */
    symbols: z
      .array(
        z.union([
          z.string().min(1),
          z.strictObject({ symbol: z.string().min(1), calendar: z.string().min(1) }),
        ]),
      )
      .default([]),
    /** The calendar of each symbol not on `calendar` (symbol -> calendar name or JSON file). */
    calendars: z.record(z.string().min(1), z.string().min(1)).default({}),
    allSymbols: z.boolean().default(false),
    /** First and last session dates of a backtest (inclusive). */
    from: date.optional(),
    to: date.optional(),
    /** Include pre-market and after-hours bars. */
    extended: z.boolean().default(false),
    /** Prices of history in a replay: as traded (`raw`), or split (and dividend) adjusted as of the clock. */
    adjust: z.enum(["raw", "split", "adjusted"]).default("raw"),
    /** `max`, or a multiple of real time. */
    speed: z.union([z.literal("max"), z.number().positive()]).default("max"),
    /** A paced replay waits through closed time between sessions too (default: skips it). */
    paceClosed: z.boolean().default(false),
    /** What a throwing event handler does: stop the run with its error, or log and go on. */
    onHandlerError: z.enum(["stop", "log"]).default("stop"),
    history: z
      .strictObject({
        /** Trailing sessions of 1m bars kept per symbol. */
        sessions: z.number().int().min(0).max(250).default(5),
        /** Trailing daily bars kept per symbol. */
        dailyBars: z.number().int().min(0).max(10_000).default(20),
      })
      .prefault({}),
    upkeep: z
      .strictObject({
        enabled: z.boolean().default(true),
        intervalSeconds: z.number().positive("must be positive").default(60),
        fillGaps: z.boolean().default(true),
        maxRetries: z.number().int().min(0).default(5),
        /** First retry delay; doubles each retry. */
        backoffSeconds: z.number().positive("must be positive").default(1),
        /** How long one fill request may take before it counts as failed. */
        timeoutSeconds: z.number().positive("must be positive").default(10),
        /** Fill gaps given up on with flat zero-volume bars, flagged synthetic. Off by default. */
        synthesizeAbandoned: z.boolean().default(false),
        /**
         * Where gaps are filled from: a DuckDB file or `postgres://` URL of a second store,
         * `alpaca`, or `none`. Unset: the store being replayed (or the live feed's source).
         */
        source: z.string().min(1).optional(),
      })
      .prefault({}),
    derived: z
      .strictObject({
        intervals: z.array(interval).default(["5m", "15m"]),
        auto: z.boolean().default(true),
        anchor: z.enum(["session", "clock"]).default("session"),
        cacheSize: z.number().int().min(0).default(1000),
      })
      .prefault({}),
    ticks: z
      .strictObject({
        /** Build one-minute bars from trade ticks (a tick-only feed then yields the same bars). */
        buildBars: z.boolean().default(false),
        /** Leave out ticks the vendor flags as suspicious when building bars. */
        dropSuspicious: z.boolean().default(true),
      })
      .prefault({}),
    prefetch: z
      .strictObject({
        enabled: z.boolean().default(true),
        windowMinutes: z.number().min(0).default(60),
      })
      .prefault({}),
    production: z.boolean().default(false),
    monitoring: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    limits: z
      .strictObject({ memoryPerSymbolMB: z.number().positive("must be positive").default(10) })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(8080),
        /** Bearer token; required when the server binds beyond loopback. */
        token: z.string().min(16, "must be at least 16 characters").optional(),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      })
      .prefault({}),
  })
  .strict();

/** The full, validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** What a caller may give: any subset; the rest takes defaults. */
export type ConfigInput = z.input<typeof configSchema>;

/**
 * `path: message` lines for every problem in a zod error; an unknown key (at any depth) is
 * one line naming its path and the nearest known key.
 */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((i) => {
    if (i.code === "unrecognized_keys") {
      return i.keys.map((key) => {
        const path = [...i.path, key].join(".");
        const near = nearestKey(path, schemaKeys(configSchema));
        return `${path}: unknown key${near ? ` (nearest known key: ${near})` : ""}`;
      });
    }
    return [`${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`];
  });
}
