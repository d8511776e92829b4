import { Counter, Gauge, Registry } from "prom-client";
import type { Shard } from "./shard.js";

/**
 * A shard's Prometheus series, for `/metrics` beside the engine's: the durable consumer's lag,
 * pending and unacked counts, raw messages read, raw messages dead-lettered by reason, results
 * published and publish retries, and whether the broker connection is up. Read at scrape time.
 */
export function shardRegistry(shard: Shard, prefix = "tickwright_"): Registry {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  gauge(
    "bus_consumer_lag",
    "Raw messages published after the consumer's ack floor.",
    () => shard.position.lag,
  );
  gauge(
    "bus_consumer_pending",
    "Raw messages not yet delivered to this shard.",
    () => shard.position.pending,
  );
  gauge(
    "bus_consumer_ack_pending",
    "Raw messages delivered and not yet acked (applied, results awaiting their acks).",
    () => shard.position.ackPending,
  );
  gauge("bus_connected", "1 while the NATS connection is up.", () => (shard.connected ? 1 : 0));
  counter(
    "bus_raw_messages_total",
    "Raw messages read (all symbols and the clock).",
    () => shard.counters().rawMessages,
  );
  counter(
    "bus_results_published_total",
    "Results published and acked.",
    () => shard.counters().resultsPublished,
  );
  counter(
    "bus_results_duplicate_total",
    "Results published again (after a restart) and dropped by the stream's duplicate window.",
    () => shard.counters().resultsDuplicate,
  );
  counter(
    "bus_publish_retries_total",
    "Publishes retried (a broker away).",
    () => shard.counters().publishRetries,
  );
  new Counter({
    name: `${prefix}bus_rejected_total`,
    help: "Raw messages rejected (dead-lettered), by reason.",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(shard.counters().rejected)) this.inc({ reason }, n);
    },
  });
  return registry;
}
