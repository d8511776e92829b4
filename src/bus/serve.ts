import { type RunningServer, type StartOptions, startServer } from "../server/index.js";
import { shardRegistry } from "./metrics.js";
import { Shard, type ShardOptions } from "./shard.js";

/** A shard with its HTTP server. */
export interface ServedShard {
  shard: Shard;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a shard and serves it: the engine's routes, `/health` with a `bus` component (the
 * consumer's lag and pending count, the connection, dead letters) and `/metrics` with the
 * shard's series.
 */
export async function serveShard(
  options: ShardOptions,
  server: Omit<StartOptions, "engine" | "components" | "registry"> = {},
): Promise<ServedShard> {
  const shard = await Shard.start(options);
  try {
    const running = await startServer({
      ...server,
      engine: shard.engine,
      components: () => ({ bus: shard.health() }),
      registry: shardRegistry(shard),
    });
    return {
      shard,
      server: running,
      url: running.url,
      close: async () => {
        await shard.stop();
        await running.close();
      },
    };
  } catch (err) {
    await shard.stop();
    throw err;
  }
}
