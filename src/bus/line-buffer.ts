const encoder = new TextEncoder();

/**
 * Lines encoded as UTF-8 one after the other into one reused buffer, separated by `\n`, and
 * cut at line ends into parts of at most `partBytes` (a longer line is a part of its own):
 * a window's results go out as `take()`'s parts with no string joined or copied on the way.
 */
export class LineBuffer {
  private buf = new Uint8Array(1 << 18);
  private pos = 0;
  private partStart = 0;
  private starts = [0];
  private ends: number[] = [];
  /** Lines pushed since the last `take()`. */
  lines = 0;

  constructor(private readonly partBytes: number) {}

  push(line: string): void {
    const need = this.pos + 1 + 3 * line.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, this.pos));
      this.buf = grown;
    }
    const sep = this.pos;
    const from = this.lines > 0 ? sep + 1 : sep;
    const end = from + encoder.encodeInto(line, this.buf.subarray(from)).written;
    if (this.lines > 0) {
      if (end - this.partStart > this.partBytes) {
        this.ends.push(sep);
        this.starts.push(from);
        this.partStart = from;
      } else this.buf[sep] = 10;
    }
    this.pos = end;
    this.lines++;
  }

  /** The parts of the lines pushed (copies), in order; empties the buffer. */
  take(): Uint8Array[] {
    if (this.lines === 0) return [];
    this.ends.push(this.pos);
    const parts = this.starts.map((s, i) => this.buf.slice(s, this.ends[i]));
    this.clear();
    return parts;
  }

  /** Drops the lines pushed. */
  clear(): void {
    this.pos = 0;
    this.partStart = 0;
    this.starts = [0];
    this.ends = [];
    this.lines = 0;
  }
}
