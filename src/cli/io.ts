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

/** The exit code and message for an error thrown by a command: 2 for bad input, 1 otherwise. */
export function exitFor(err: unknown): { code: number; message: string } {
  if (err instanceof ExitError) return { code: err.exitCode, message: err.message };
  if (err instanceof TickwrightError) {
    const code = err.code === "INVALID_ARGUMENT" || err.code === "INPUT" || err.code === "CONFIG" ? 2 : 1;
    return { code, message: err.message };
  }
  return { code: 1, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

/** Splits a comma-separated option into trimmed, non-empty parts. */
export function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
