/**
 * Typed errors. Every error tickwright throws on purpose is a TickwrightError with a stable
 * `code`, so callers (and the CLI, which maps them to exit codes) can tell bad input from bugs.
 */
export class TickwrightError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter given by the caller is invalid (bad interval, impossible date, unknown name...). */
export class InvalidArgumentError extends TickwrightError {
  constructor(message: string, code = "INVALID_ARGUMENT") {
    super(code, message);
  }
}

/** An input file could not be read or is not of the announced format. */
export class InputError extends TickwrightError {
  constructor(message: string) {
    super("INPUT", message);
  }
}

/** A symbol that no store, feed or session knows (an invalid argument, with its own code). */
export class UnknownSymbolError extends InvalidArgumentError {
  constructor(readonly symbol: string) {
    super(`unknown symbol: ${symbol}`, "UNKNOWN_SYMBOL");
  }
}

/** A database call failed (after retries, where the caller retries). */
export class StoreError extends TickwrightError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super("STORE", message);
  }
}

/** A configuration that does not validate; `issues` are `path: message` lines. */
export class ConfigError extends TickwrightError {
  constructor(readonly issues: string[]) {
    super("CONFIG", `invalid configuration:\n${issues.join("\n")}`);
  }
}
