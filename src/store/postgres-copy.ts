import type { BarColumns, QuoteBar, Tick } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";

/**
 * COPY binary-format encoders for the staging tables. Binary COPY moves doubles as their
 * 8 bytes, so nothing is printed or parsed on either side and every value (NaN, -0,
 * subnormals) arrives bit for bit. Each row starts with its ordinal in the batch (`ord`), so
 * duplicate keys inside one batch resolve to the last one written.
 */

/** `PGCOPY\n\377\r\n\0`, flags 0, no header extension. */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** Field count -1: end of data. */
const TRAILER = Buffer.from([0xff, 0xff]);
const CHUNK_BYTES = 1 << 18;
const TWO_32 = 2 ** 32;
const utf8 = new TextEncoder();

/** Writes rows into fixed-size buffers and hands each full one out. */
class BinaryRows {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  private readonly full: Buffer[] = [];

  constructor() {
    this.bytes(HEADER);
  }

  /** Starts a row of `fields` fields needing at most `maxBytes` bytes. */
  row(fields: number, maxBytes: number): void {
    this.reserve(maxBytes + 2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
  }

  int2(v: number): void {
    this.view.setInt32(this.pos, 2);
    this.view.setInt16(this.pos + 4, v);
    this.pos += 6;
  }

  int4(v: number): void {
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, v);
    this.pos += 8;
  }

  /** A BIGINT from an integer-valued double (epoch ms). */
  int8(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, 8);
    this.view.setInt32(this.pos + 4, hi);
    this.view.setUint32(this.pos + 8, v - hi * TWO_32);
    this.pos += 12;
  }

  float8(v: number): void {
    this.view.setInt32(this.pos, 8);
    this.view.setFloat64(this.pos + 4, v);
    this.pos += 12;
  }

  /** A double that is NULL when NaN (absent trades/vwap). */
  float8OrNull(v: number): void {
    if (Number.isNaN(v)) this.null();
    else this.float8(v);
  }

  bool(v: boolean): void {
    this.view.setInt32(this.pos, 1);
    this.buf[this.pos + 4] = v ? 1 : 0;
    this.pos += 5;
  }

  text(bytes: Uint8Array | null): void {
    if (bytes === null) {
      this.null();
      return;
    }
    this.view.setInt32(this.pos, bytes.length);
    this.buf.set(bytes, this.pos + 4);
    this.pos += 4 + bytes.length;
  }

  null(): void {
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  /** Full buffers written since the last call. */
  take(): Buffer[] {
    return this.full.splice(0);
  }

  /** The rest, trailer included. */
  finish(): Buffer[] {
    this.reserve(2);
    this.bytes(TRAILER);
    this.flush();
    return this.take();
  }

  private bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(n);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, this.buf.length));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }
}

/** UTF-8 bytes of a text value (null for null/undefined), remembered for repeated values. */
function textBytes(cache: Map<string, Uint8Array>, value: string | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  let bytes = cache.get(value);
  if (!bytes) {
    bytes = utf8.encode(value);
    if (cache.size < 10_000) cache.set(value, bytes);
  }
  return bytes;
}

function checkTime(t: number, row: number, what: string): void {
  if (!Number.isSafeInteger(t)) {
    throw new InvalidArgumentError(`${what} row ${row}: time ${t} is not an integer epoch-ms value`);
  }
}

/**
 * Bar columns as binary COPY data for `tw_stage_bars`: ord, symbol, time, OHLCV, trades and
 * vwap (NULL when NaN), flags. Throws InvalidArgumentError for a non-integer time.
 */
export function* barCopyChunks(bars: BarColumns): Generator<Buffer> {
  const { symbol, time, open, high, low, close, volume, trades, vwap, flags } = bars;
  const out = new BinaryRows();
  const cache = new Map<string, Uint8Array>();
  let lastSymbol: string | undefined;
  let lastBytes: Uint8Array | null = null;
  for (let i = 0; i < bars.length; i++) {
    const s = symbol[i];
    if (s !== lastSymbol || i === 0) {
      lastSymbol = s;
      lastBytes = textBytes(cache, s);
    }
    checkTime(time[i], i, "bar");
    out.row(11, 132 + (lastBytes?.length ?? 0));
    out.int4(i);
    out.text(lastBytes);
    out.int8(time[i]);
    out.float8(open[i]);
    out.float8(high[i]);
    out.float8(low[i]);
    out.float8(close[i]);
    out.float8(volume[i]);
    out.float8OrNull(trades[i]);
    out.float8OrNull(vwap[i]);
    out.int2(flags[i]);
    if ((i & 1023) === 1023) yield* out.take();
  }
  yield* out.finish();
}

/** Quote bars as binary COPY data for `tw_stage_quotes`: ord, symbol, time, bid OHLC + size, ask OHLC + size. */
export function* quoteCopyChunks(quotes: readonly QuoteBar[]): Generator<Buffer> {
  const out = new BinaryRows();
  const cache = new Map<string, Uint8Array>();
  for (let i = 0; i < quotes.length; i++) {
    const q = quotes[i];
    const symbol = textBytes(cache, q.symbol);
    checkTime(q.time, i, "quote");
    out.row(13, 160 + (symbol?.length ?? 0));
    out.int4(i);
    out.text(symbol);
    out.int8(q.time);
    out.float8(q.bidOpen);
    out.float8(q.bidHigh);
    out.float8(q.bidLow);
    out.float8(q.bidClose);
    out.float8(q.bidSize);
    out.float8(q.askOpen);
    out.float8(q.askHigh);
    out.float8(q.askLow);
    out.float8(q.askClose);
    out.float8(q.askSize);
    if ((i & 1023) === 1023) yield* out.take();
  }
  yield* out.finish();
}

/** Ticks as binary COPY data for `tw_stage_ticks`: ord, symbol, time, price, size, exchange, condition, suspicious. */
export function* tickCopyChunks(ticks: readonly Tick[]): Generator<Buffer> {
  const out = new BinaryRows();
  const cache = new Map<string, Uint8Array>();
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    const symbol = textBytes(cache, t.symbol);
    const exchange = textBytes(cache, t.exchange);
    const condition = textBytes(cache, t.condition);
    checkTime(t.time, i, "tick");
    out.row(8, 80 + (symbol?.length ?? 0) + (exchange?.length ?? 0) + (condition?.length ?? 0));
    out.int4(i);
    out.text(symbol);
    out.int8(t.time);
    out.float8(t.price);
    out.float8(t.size);
    out.text(exchange);
    out.text(condition);
    if (t.suspicious === undefined) out.null();
    else out.bool(t.suspicious);
    if ((i & 1023) === 1023) yield* out.take();
  }
  yield* out.finish();
}
