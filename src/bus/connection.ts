import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TickwrightError } from "../model/errors.js";

/** A NATS connection with its JetStream handles, and whether it is up right now. */
export interface BusConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** `connected`, or `disconnected` / `reconnecting` while the broker is away. */
  readonly state: string;
  /** Disconnects seen since connecting. */
  readonly disconnects: number;
  close(): Promise<void>;
}

/**
 * Connects to NATS (`nats://host:port`, or several separated by commas: a cluster) and keeps
 * reconnecting forever when the connection drops: a broker restart is waited out. A first
 * connection that fails is a TickwrightError (code BUS) naming the URL.
 */
export async function connectBus(url: string, name = "tickwright"): Promise<BusConnection> {
  const servers = url.split(",").map((s) => s.trim().replace(/^nats:\/\//, ""));
  const nc = await connect({
    servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    // Without it the client builds two Error objects (stack traces) per request, that is per
    // acked publish: a fifth of a shard's CPU in the bench's profile.
    noAsyncTraces: true,
  }).catch((err: unknown) => {
    throw new TickwrightError("BUS", `cannot connect to NATS at ${url}: ${(err as Error).message}`);
  });
  const js = jetstream(nc, { timeout: 10_000 });
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  let state = "connected";
  let disconnects = 0;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        state = "disconnected";
        disconnects++;
      } else if (s.type === "reconnecting") state = "reconnecting";
      else if (s.type === "reconnect") state = "connected";
    }
  })();
  return {
    nc,
    js,
    jsm,
    get state() {
      return state;
    },
    get disconnects() {
      return disconnects;
    },
    close: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
