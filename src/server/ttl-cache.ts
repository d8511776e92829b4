/**
 * Answers kept for `ttlMs` wall milliseconds, at most `maxBytes` of them (by the size each
 * entry is given), the least recently used going first. For reads of the store, which
 * another process may write: a change shows once the kept answer expires.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; size: number; value: V }>();
  private bytes = 0;

  constructor(
    readonly ttlMs: number,
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bytes kept. */
  get size(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (this.now() - e.at > this.ttlMs) {
      this.bytes -= e.size;
      return undefined;
    }
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, size: number): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.size;
    }
    if (size > this.maxBytes) return;
    while (this.bytes + size > this.maxBytes) {
      const [k, e] = this.entries.entries().next().value as [string, { size: number }];
      this.entries.delete(k);
      this.bytes -= e.size;
    }
    this.entries.set(key, { at: this.now(), size, value });
    this.bytes += size;
  }
}
