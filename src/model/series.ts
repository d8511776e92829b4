import type { BarRows, SessionBar } from "./bar.js";

/** Bytes per row: six float64 columns, two uint16 and one uint8. */
const BYTES_PER_ROW = 6 * 8 + 2 * 2 + 1;
/** Bytes of a series' columns in a shared buffer: its rows rounded up to 8, so every piece is aligned. */
const pieceBytes = (capacity: number) => Math.ceil((capacity * BYTES_PER_ROW) / 8) * 8;
const EMPTY_F64 = new Float64Array(0);
const EMPTY_U16 = new Uint16Array(0);
const EMPTY_U8 = new Uint8Array(0);

/**
 * One-minute bars of a batch read ahead into series columns, one piece per symbol code:
 * each code's rows, in batch order, laid out in `buffer` as a BarSeries over that piece
 * holds them (see `BarSeries.adopt`). A reader that appends the batch's rows in order then
 * only counts them: the columns were written where the batch was read (a worker thread).
 */
export interface PlacedBars {
  buffer: ArrayBuffer;
  /** Byte offset of each code's piece in `buffer` (-1: no rows of that code). */
  offset: Float64Array;
  /** Rows of each code's piece. */
  rows: Int32Array;
  /** Per batch row: its index in its code's piece. */
  row: Int32Array;
  /** Holders of `buffer`: the batch until it is delivered, and each series over one of its pieces. */
  users: number;
  /** Called once the last holder lets go (`letGoOf`): the buffer may then be written again. */
  release?: (buffer: ArrayBuffer) => void;
}

/** One holder of a placed batch's buffer lets go of it; the last one releases it. */
export function letGoOf(placed: PlacedBars): void {
  if (--placed.users === 0) placed.release?.(placed.buffer);
}

/** Columns `placeBySymbol` reads: a batch of one-minute bars with each row's symbol code (-1: none). */
type CodedRows = BarRows & { length: number; code: Int32Array };

/**
 * Each code's rows of a batch (in batch order) placed in series columns of one buffer (of
 * at least the bytes asked of `bufferOf`; pieces are written whole, nothing else); rows of
 * code -1 are not placed (`row` -1). The batch is its buffer's one user.
 */
export function placeBySymbol(
  bars: CodedRows,
  bufferOf: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
): PlacedBars {
  const n = bars.length;
  const code = bars.code;
  let codes = 0;
  for (let i = 0; i < n; i++) if (code[i] >= codes) codes = code[i] + 1;
  const rows = new Int32Array(codes);
  const row = new Int32Array(n);
  for (let i = 0; i < n; i++) row[i] = code[i] >= 0 ? rows[code[i]]++ : -1;
  const offset = new Float64Array(codes).fill(-1);
  let bytes = 0;
  for (let c = 0; c < codes; c++) {
    if (rows[c] === 0) continue;
    offset[c] = bytes;
    bytes += pieceBytes(rows[c]);
  }
  const buffer = bufferOf(bytes);
  // every piece laid out as `allocate` lays out a series' columns
  const f64 = new Float64Array(buffer);
  const u16 = new Uint16Array(buffer);
  const u8 = new Uint8Array(buffer);
  for (let i = 0; i < n; i++) {
    const c = code[i];
    if (c < 0) continue;
    const cap = rows[c];
    const base = offset[c];
    const f = base / 8 + row[i];
    f64[f] = bars.time[i];
    f64[f + cap] = bars.open[i];
    f64[f + 2 * cap] = bars.high[i];
    f64[f + 3 * cap] = bars.low[i];
    f64[f + 4 * cap] = bars.close[i];
    f64[f + 5 * cap] = bars.volume[i];
    const s = (base + 48 * cap) / 2 + row[i];
    u16[s] = 1;
    u16[s + cap] = 1;
    u8[base + 52 * cap + row[i]] = bars.flags[i];
  }
  return { buffer, offset, rows, row, users: 1 };
}

/**
 * A growable columnar series of bars of one symbol and interval, kept in time order.
 * Appends are amortized O(1) and allocation-free until capacity doubles; lookups by time
 * are binary searches. Objects are made only by `at()`/`toBars()` at the API edge.
 */
export class BarSeries {
  length = 0;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Source one-minute bars held by each bar. */
  count: Uint16Array;
  /** Source one-minute bars the calendar expects in each bar. */
  expected: Uint16Array;
  flags: Uint8Array;
  /**
   * The six float64 columns as one view (column k at k x capacity) and the two uint16 ones:
   * `push` writes a row through three views rather than nine (fewer cache lines per append).
   */
  private floats: Float64Array = EMPTY_F64;
  private shorts: Uint16Array = EMPTY_U16;
  /**
   * The read-ahead batch whose piece these columns are (`adopt`), while the series holds
   * exactly its first `length` rows of that piece and nothing changed it otherwise: row
   * `length` is then already in place. Any change of the series but that count clears it.
   */
  readAhead: PlacedBars | undefined = undefined;
  /** The placed batch whose buffer the columns are a piece of (adopted; held until they are replaced). */
  private piece: PlacedBars | undefined = undefined;

  /**
   * `within`: the columns are placed in that buffer at `byteOffset` (`pieceBytes(capacity)`
   * bytes from there) instead of a buffer of their own; see `sharingBuffer`.
   */
  constructor(
    readonly symbol: string,
    readonly interval: string,
    capacity = 64,
    within?: ArrayBuffer,
    byteOffset = 0,
  ) {
    this.time = this.open = this.high = this.low = this.close = this.volume = EMPTY_F64;
    this.count = this.expected = EMPTY_U16;
    this.flags = EMPTY_U8;
    this.allocate(Math.max(1, capacity), within, byteOffset);
  }

  /**
   * Empty series of `symbols` (capacity `capacities[i]` each) with their columns in one
   * buffer: one allocation for all. A roll of 1,600 symbols made 1,600 buffers of about 20 KB,
   * some 20 us each; one buffer and its views take about 1 ms.
   */
  static sharingBuffer(
    symbols: readonly string[],
    interval: string,
    capacities: readonly number[],
  ): BarSeries[] {
    if (symbols.length === 0) return [];
    let bytes = 0;
    for (const c of capacities) bytes += pieceBytes(Math.max(1, c));
    const buffer = new ArrayBuffer(bytes);
    const out: BarSeries[] = [];
    let at = 0;
    for (let i = 0; i < symbols.length; i++) {
      const capacity = Math.max(1, capacities[i]);
      out.push(new BarSeries(symbols[i], interval, capacity, buffer, at));
      at += pieceBytes(capacity);
    }
    return out;
  }

  /** `reserve(capacity)` of every series short of it, their new columns in one buffer. */
  static reserveAll(series: readonly BarSeries[], capacity: number): void {
    const short = series.filter((s) => s.capacity < capacity);
    if (short.length === 0) return;
    const piece = pieceBytes(capacity);
    const buffer = new ArrayBuffer(piece * short.length);
    for (let i = 0; i < short.length; i++) short[i].allocate(capacity, buffer, i * piece);
  }

  get capacity(): number {
    return this.time.length;
  }

  /** True when the columns are a piece of a larger buffer (`sharingBuffer`, `adopt`), which they keep alive. */
  get sharesBuffer(): boolean {
    return this.time.buffer.byteLength > pieceBytes(this.capacity);
  }

  /**
   * Takes code `code`'s piece of a read-ahead batch as the columns of this empty series (no
   * copy): its rows are then appended by counting them (see `readAhead`). False, changing
   * nothing, when the series is not empty or the batch holds no row of that code.
   */
  adopt(placed: PlacedBars, code: number): boolean {
    if (this.length !== 0 || !(placed.offset[code] >= 0)) return false;
    this.allocate(placed.rows[code], placed.buffer, placed.offset[code]);
    this.readAhead = placed;
    this.piece = placed;
    placed.users++;
    return true;
  }

  /** Empties the series onto small columns of its own, letting go of a buffer it shared. */
  unshare(): void {
    this.length = 0;
    this.allocate(16);
  }

  /** Appends a bar; its time must not be before the last one (use `insert` for fills). */
  push(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags = 0,
    count = 1,
    expected = 1,
  ): void {
    const i = this.length;
    if (i === this.flags.length) this.grow(i * 2);
    this.readAhead = undefined;
    const cap = this.flags.length;
    const floats = this.floats;
    floats[i] = time;
    floats[cap + i] = open;
    floats[2 * cap + i] = high;
    floats[3 * cap + i] = low;
    floats[4 * cap + i] = close;
    floats[5 * cap + i] = volume;
    this.shorts[i] = count;
    this.shorts[cap + i] = expected;
    this.flags[i] = flags;
    this.length = i + 1;
  }

  /**
   * Appends `n` one-minute bars held row-major in `packed` (row r at from + r x 8: time, open,
   * high, low, close, volume, flags), each of count and expected 1: a column at a time, so
   * that a few rows cost one cache line per column.
   */
  pushPacked(packed: Float64Array, from: number, n: number): void {
    const at = this.length;
    if (at + n > this.flags.length) this.grow(Math.max(at + n, at * 2));
    this.readAhead = undefined;
    const cap = this.flags.length;
    const floats = this.floats;
    for (let c = 0; c < 6; c++) {
      const base = c * cap + at;
      for (let r = 0; r < n; r++) floats[base + r] = packed[from + r * 8 + c];
    }
    const shorts = this.shorts;
    const flags = this.flags;
    for (let r = 0; r < n; r++) {
      shorts[at + r] = 1;
      shorts[cap + at + r] = 1;
      flags[at + r] = packed[from + r * 8 + 6];
    }
    this.length = at + n;
  }

  /**
   * Inserts a bar at its place in time order (for gap fills). Returns false, changing nothing,
   * when a bar with that time is already there.
   */
  insert(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags = 0,
    count = 1,
    expected = 1,
  ): boolean {
    const at = this.lowerBound(time);
    if (at < this.length && this.time[at] === time) return false;
    if (at === this.length) {
      this.push(time, open, high, low, close, volume, flags, count, expected);
      return true;
    }
    if (this.length === this.time.length) this.grow(this.length * 2);
    this.readAhead = undefined;
    for (const col of this.columns()) col.copyWithin(at + 1, at, this.length);
    this.time[at] = time;
    this.open[at] = open;
    this.high[at] = high;
    this.low[at] = low;
    this.close[at] = close;
    this.volume[at] = volume;
    this.flags[at] = flags;
    this.count[at] = count;
    this.expected[at] = expected;
    this.length++;
    return true;
  }

  /** Index of the first bar whose time is >= t (length when none). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first bar whose time is > t (length when none). */
  upperBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Makes room for at least `capacity` rows (no-op when there is). */
  reserve(capacity: number): void {
    if (capacity > this.time.length) this.allocate(capacity);
  }

  /** Drops every bar (keeps the allocated capacity). */
  clear(): void {
    this.length = 0;
    this.readAhead = undefined;
  }

  /** Drops the first `n` bars. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    this.readAhead = undefined;
    if (n >= this.length) {
      this.length = 0;
      return;
    }
    for (const col of this.columns()) col.copyWithin(0, n, this.length);
    this.length -= n;
  }

  /** Row `i` as an object. */
  at(i: number): SessionBar {
    return {
      symbol: this.symbol,
      interval: this.interval,
      time: this.time[i],
      open: this.open[i],
      high: this.high[i],
      low: this.low[i],
      close: this.close[i],
      volume: this.volume[i],
      flags: this.flags[i],
      count: this.count[i],
      expected: this.expected[i],
    };
  }

  /** Rows [from, to) as objects. */
  toBars(from = 0, to = this.length): SessionBar[] {
    const out: SessionBar[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.length); i++) out.push(this.at(i));
    return out;
  }

  /** A copy holding exactly `length` rows (for history, where no more bars will come). */
  compact(): BarSeries {
    const c = new BarSeries(this.symbol, this.interval, Math.max(1, this.length));
    c.time.set(this.time.subarray(0, this.length));
    c.open.set(this.open.subarray(0, this.length));
    c.high.set(this.high.subarray(0, this.length));
    c.low.set(this.low.subarray(0, this.length));
    c.close.set(this.close.subarray(0, this.length));
    c.volume.set(this.volume.subarray(0, this.length));
    c.count.set(this.count.subarray(0, this.length));
    c.expected.set(this.expected.subarray(0, this.length));
    c.flags.set(this.flags.subarray(0, this.length));
    c.length = this.length;
    return c;
  }

  /** Bytes held by the columns. */
  byteSize(): number {
    return this.capacity * BYTES_PER_ROW;
  }

  private columns(): (Float64Array | Uint16Array | Uint8Array)[] {
    return [
      this.time,
      this.open,
      this.high,
      this.low,
      this.close,
      this.volume,
      this.count,
      this.expected,
      this.flags,
    ];
  }

  /**
   * Gives the columns room for `capacity` rows, copying what is there. All nine columns are
   * views of one buffer (float columns first, so every view is aligned): one allocation, not nine;
   * or of `pieceBytes(capacity)` bytes of `buffer` from `base` (a multiple of 8).
   */
  private allocate(capacity: number, buffer = new ArrayBuffer(capacity * BYTES_PER_ROW), base = 0): void {
    this.readAhead = undefined;
    const f64 = (k: number, old: Float64Array) => {
      const a = new Float64Array(buffer, base + k * 8 * capacity, capacity);
      a.set(old.subarray(0, this.length));
      return a;
    };
    const u16 = (k: number, old: Uint16Array) => {
      const a = new Uint16Array(buffer, base + 48 * capacity + k * 2 * capacity, capacity);
      a.set(old.subarray(0, this.length));
      return a;
    };
    this.time = f64(0, this.time);
    this.open = f64(1, this.open);
    this.high = f64(2, this.high);
    this.low = f64(3, this.low);
    this.close = f64(4, this.close);
    this.volume = f64(5, this.volume);
    this.count = u16(0, this.count);
    this.expected = u16(1, this.expected);
    const flags = new Uint8Array(buffer, base + 52 * capacity, capacity);
    flags.set(this.flags.subarray(0, this.length));
    this.flags = flags;
    this.floats = new Float64Array(buffer, base, 6 * capacity);
    this.shorts = new Uint16Array(buffer, base + 48 * capacity, 2 * capacity);
    const piece = this.piece;
    this.piece = undefined;
    if (piece) letGoOf(piece);
  }

  private grow(capacity: number): void {
    this.allocate(Math.max(capacity, 16));
  }
}
