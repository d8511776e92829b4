import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Engine } from "../engine/engine.js";
import type { BoundaryEvent } from "../engine/types.js";
import { type Health, readHealth } from "./health.js";

/** Prefix of every series tickwright exports. */
export const METRIC_PREFIX = "tickwright_";

const STATUS_VALUE = { ok: 0, degraded: 1, down: 2 } as const;

/** Options of EngineMetrics. */
export interface EngineMetricsOptions {
  /** Also export prom-client's process and Node.js metrics (event-loop lag, heap, GC). Default true. */
  defaultMetrics?: boolean;
  /** Health reader (default: `readHealth(engine)`), called at scrape time. */
  health?: () => Health;
}

/**
 * The Prometheus series of one engine, in their own Registry (never prom-client's global one,
 * so several engines or tests in one process do not collide). Bar and gap counts are read
 * from `engine.counters()` when `/metrics` is scraped (listening to every bar would make the
 * engine build an event object per bar); boundaries are counted from their events; per-symbol
 * gauges are read from the session data at scrape time.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly boundaries = new Map<string, number>();
  private readonly prefetchSeen = new Set<string>();
  private upkeepCycles = Number.NaN;
  private readonly health: () => Health;
  private readonly off: () => void;
  private readonly upkeepSeconds: Histogram;
  private readonly prefetchSeconds: Histogram;
  /** Extra gauges the server sets (SSE clients). */
  readonly sseClients: Gauge;
  readonly sseDropped: Counter;

  constructor(
    private readonly engine: Engine,
    opts: EngineMetricsOptions = {},
  ) {
    this.health = opts.health ?? (() => readHealth(engine));
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
    const self = this;

    new Counter({
      name: `${p}bars_processed_total`,
      help: "Bars the engine delivered, by interval (1m in, derived out).",
      labelNames: ["interval"],
      registers,
      collect() {
        this.reset();
        for (const [interval, n] of Object.entries(self.engine.counters().barsOut)) this.inc({ interval }, n);
      },
    });
    const gapCounter = (name: string, help: string, value: () => number) =>
      new Counter({
        name: `${p}${name}`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    gapCounter(
      "gaps_found_total",
      "Gaps (missing one-minute ranges) found by upkeep.",
      () => self.engine.counters().gapsFound,
    );
    gapCounter(
      "gaps_filled_total",
      "Gaps filled from a bar source.",
      () => self.engine.counters().gapsFilled,
    );
    gapCounter(
      "gaps_abandoned_total",
      "Gaps given up on after the retries.",
      () => self.engine.counters().gapsAbandoned,
    );
    new Counter({
      name: `${p}boundaries_total`,
      help: "Session boundaries passed, by type (preOpen, open, breakStart, breakEnd, close, postClose, roll).",
      labelNames: ["type"],
      registers,
      collect() {
        this.reset();
        for (const [type, n] of self.boundaries) this.inc({ type }, n);
      },
    });
    new Gauge({
      name: `${p}bar_quality_percent`,
      help: "Present / expected regular-session minutes of the current session so far, per symbol.",
      labelNames: ["symbol"],
      registers,
      collect() {
        this.reset();
        const session = self.engine.session;
        for (const symbol of session.symbols()) this.set({ symbol }, session.metrics(symbol).barQuality);
      },
    });
    new Gauge({
      name: `${p}gaps_open`,
      help: "Gaps found and not yet filled or abandoned, per symbol.",
      labelNames: ["symbol"],
      registers,
      collect() {
        this.reset();
        const session = self.engine.session;
        for (const symbol of session.symbols()) this.set({ symbol }, session.state(symbol).gaps.open);
      },
    });
    new Counter({
      name: `${p}rejected_total`,
      help: "Bars, quotes and ticks the engine refused, by reason.",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(self.engine.rejections().byReason)) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: `${p}symbols_active`,
      help: "Symbols with session data in memory.",
      registers,
      collect() {
        this.set(self.engine.session.status().symbols);
      },
    });
    new Gauge({
      name: `${p}memory_per_symbol_bytes`,
      help: "Typed-array bytes held per active symbol (session, history, daily, derived).",
      registers,
      collect() {
        this.set(self.engine.session.status().memoryPerSymbolBytes);
      },
    });
    new Gauge({
      name: `${p}clock_seconds`,
      help: "The engine clock (simulated in a replay), seconds since the epoch.",
      registers,
      collect() {
        this.set(self.engine.clock.now() / 1000);
      },
    });
    new Gauge({
      name: `${p}health_status`,
      help: "Health per component: 0 ok, 1 degraded, 2 down (component=overall for the whole).",
      labelNames: ["component"],
      registers,
      collect() {
        this.reset();
        const h = self.health();
        this.set({ component: "overall" }, STATUS_VALUE[h.status]);
        for (const [component, c] of Object.entries(h.components)) {
          this.set({ component }, STATUS_VALUE[c.status]);
        }
        self.observeUpkeep(h);
        self.observePrefetch();
      },
    });
    this.upkeepSeconds = new Histogram({
      name: `${p}upkeep_cycle_duration_seconds`,
      help: "Wall time of one upkeep cycle (gap detection, fills, quality, derived bars).",
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.prefetchSeconds = new Histogram({
      name: `${p}prefetch_load_seconds`,
      help: "Wall time to load one session's data and history ahead of its start.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.sseClients = new Gauge({
      name: `${p}sse_clients`,
      help: "Clients connected to /api/events.",
      registers,
    });
    this.sseDropped = new Counter({
      name: `${p}sse_dropped_total`,
      help: "/api/events clients dropped for falling behind.",
      registers,
    });
    const kinds = ["preOpen", "open", "breakStart", "breakEnd", "close", "postClose", "roll"] as const;
    const offs = kinds.map((kind) => engine.on(kind, (e) => this.boundary(e)));
    this.off = () => {
      for (const off of offs) off();
    };
  }

  /** The exposition text of every series. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The exposition content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops counting engine events. */
  close(): void {
    this.off();
  }

  /** Counts a boundary; at a session start, records the prefetch that fed it. */
  private boundary(e: BoundaryEvent): void {
    this.boundaries.set(e.type, (this.boundaries.get(e.type) ?? 0) + 1);
    if (e.type === "open" || e.type === "preOpen") this.observePrefetch();
  }

  /** Records each finished prefetch's load time once. */
  private observePrefetch(): void {
    for (const r of this.engine.prefetchStatus()) {
      if (r.state === "loading" || r.state === "idle" || this.prefetchSeen.has(r.date)) continue;
      this.prefetchSeen.add(r.date);
      if (Number.isFinite(r.loadMs)) this.prefetchSeconds.observe(r.loadMs / 1000);
    }
  }

  /**
   * Records the last upkeep cycle's duration when the cycle count moved since the last look
   * (upkeep health details `cycles` and `lastCycleMicros`): one sample per scrape, so at
   * replay speed the histogram samples the cycles rather than holding every one.
   */
  private observeUpkeep(h: Health): void {
    const d = h.components.upkeep.details;
    const cycles = typeof d.cycles === "number" ? d.cycles : Number.NaN;
    const micros = typeof d.lastCycleMicros === "number" ? d.lastCycleMicros : Number.NaN;
    if (!Number.isFinite(cycles) || cycles === this.upkeepCycles) return;
    this.upkeepCycles = cycles;
    if (Number.isFinite(micros)) this.upkeepSeconds.observe(micros / 1e6);
  }
}
