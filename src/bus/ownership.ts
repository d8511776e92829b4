import { InvalidArgumentError } from "../model/errors.js";

/** Shard K of N (1 <= K <= N). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Parses `K/N` (`2/3`: the second of three shards). */
export function parseShard(text: string, what = "--shard"): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !(count >= 1 && count <= 1024) || !(index >= 1 && index <= count))
    throw new InvalidArgumentError(`bad ${what} "${text}": K/N with 1 <= K <= N <= 1024`);
  return { index, count };
}

/**
 * The shard (1..count) that owns a symbol: FNV-1a over its UTF-8 bytes, modulo the count. The
 * same on every machine and in every run, so shards agree without talking to each other.
 */
export function shardOf(symbol: string, count: number): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(symbol)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % count) + 1;
}

/** The symbols of `symbols` a shard owns, in their given order. */
export function ownedSymbols(symbols: readonly string[], shard: ShardSpec): string[] {
  return symbols.filter((s) => shardOf(s, shard.count) === shard.index);
}
