/** Too many store reads already waiting: answered 503 with `Retry-After`. */
export class BusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BusyError";
  }
}

/**
 * Bounds the store reads the API runs at once: at most `concurrency` in flight, at most
 * `queue` waiting (in arrival order); past that a read is refused with BusyError at once,
 * so a burst of heavy requests cannot pile up unbounded work or memory.
 */
export class ReadLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency = 4,
    readonly queue = 256,
  ) {}

  /** Reads in flight and waiting. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** Runs `read` when a slot is free. */
  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new BusyError(
          `${this.active} store reads running and ${this.waiting.length} waiting; retry shortly`,
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await read();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
