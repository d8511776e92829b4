import { TickwrightError } from "../model/errors.js";

/** A command's outcome when it ends early on purpose: a message for stderr and an exit code. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Writes a line to stdout. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a line to stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Error codes that mean bad usage or input (exit 2); every other failure exits 1. */
const USAGE_CODES = new Set(["INVALID_ARGUMENT", "INPUT", "CONFIG", "UNKNOWN_SYMBOL"]);

/** DuckDB's error for a file another process holds: the file and that process's id. */
const LOCKED = /Could not set lock on file "([^"]+)": Conflicting lock is held in .*? \(PID (\d+)\)/;

/**
 * The exit code and message for an error thrown by a command: 2 for bad usage or input, 1 for
 * a runtime failure. A DuckDB file another process holds and system errors (a `code` such as
 * ENOENT) are one line; only a bug (an error of no known kind) carries its stack.
 */
export function exitFor(err: unknown): { code: number; message: string } {
  if (err instanceof ExitError) return { code: err.exitCode, message: err.message };
  const locked = err instanceof Error ? LOCKED.exec(err.message) : null;
  if (locked) {
    return {
      code: 1,
      message: `the database ${locked[1]} is in use by another process (PID ${locked[2]}): DuckDB lets one process open a file for writing; stop that process, or use PostgreSQL for several processes`,
    };
  }
  if (err instanceof TickwrightError)
    return { code: USAGE_CODES.has(err.code) ? 2 : 1, message: err.message };
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string") {
    return { code: 1, message: err.message };
  }
  return { code: 1, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

/** Whether an error is a write into a closed pipe (EPIPE). */
export function isClosedPipe(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === "EPIPE";
}

let pipesWatched = false;

/**
 * Output into a closed pipe (`tickwright bars ... | head -1`) ends the process at once with
 * exit 0 and nothing on stderr, as other command-line tools do; unless a writer of the command
 * listens for the error too, which then stops the command (exit 0 all the same). Installed once
 * by `main`.
 */
export function exitQuietlyOnClosedPipe(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // Exiting while the store's threads work would abort the process: a writer listening
      // (replay --out -) ends the command cleanly instead.
      if (isClosedPipe(err)) {
        if (stream.listenerCount("error") === 1) process.exit(0);
        return;
      }
      throw err;
    });
  }
}

/** `1 session`, `2 sessions`: a count with its noun in the right number. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : many}`;
}

/** Splits a comma-separated option into trimmed, non-empty parts. */
export function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
