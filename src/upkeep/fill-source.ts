import { InvalidArgumentError } from "../model/errors.js";
import type { BarSource } from "./upkeep.js";
import { RepositoryBarSource } from "./upkeep.js";

/** A second source upkeep fills gaps from, and how to let it go. */
export interface FillSource {
  /** Undefined: upkeep's default, the store being replayed. */
  barSource?: BarSource;
  close(): Promise<void>;
}

/** A source that has nothing: every gap is retried as configured, then abandoned. */
const NOTHING: BarSource = { fetchBars: async () => [] };

/**
 * Opens the source named by `upkeep.source` / `--fill-from`: `none` (fill nothing), `alpaca`
 * (Alpaca's REST bars, keys in APCA_API_KEY_ID and APCA_API_SECRET_KEY), a `postgres://` URL
 * or a DuckDB file (an existing store holding the bars). Undefined keeps upkeep's default.
 */
export async function openFillSource(
  spec: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FillSource> {
  const none = async () => {};
  if (spec === undefined) return { close: none };
  const s = spec.trim();
  if (s.toLowerCase() === "none") return { barSource: NOTHING, close: none };
  if (s.toLowerCase() === "alpaca") {
    const key = env.APCA_API_KEY_ID;
    const secret = env.APCA_API_SECRET_KEY;
    if (!key || !secret) {
      throw new InvalidArgumentError("--fill-from alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY");
    }
    const { AlpacaBarSource } = await import("../live/index.js");
    return { barSource: new AlpacaBarSource({ key, secret }), close: none };
  }
  const { openRepository } = await import("../store/index.js");
  const repository = await openRepository(s, { create: false });
  return { barSource: new RepositoryBarSource(repository), close: () => repository.close() };
}
