import { Command, CommanderError } from "commander";
import { exitFor, exitQuietlyOnClosedPipe, isClosedPipe, note } from "./io.js";

/** The `tickwright` command line. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const program = new Command("tickwright")
    .description("market-data session engine: ingest, replay, serve and inspect bars")
    .configureHelp({ helpWidth: 150 })
    .showHelpAfterError()
    .exitOverride();
  for (const register of await commands()) register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // Output into a closed pipe (`--out /dev/stdout | head -1`) ends quietly, as on stdout.
    if (isClosedPipe(err)) return 0;
    const { code, message } = exitFor(err);
    note(`tickwright: ${message}`);
    return code;
  }
}

type Register = (program: Command) => void;

async function commands(): Promise<Register[]> {
  return [
    (await import("./ingest.js")).register,
    (await import("./bars.js")).register,
    (await import("./actions.js")).register,
    (await import("./generate.js")).register,
    (await import("./calendar.js")).register,
    (await import("./replay.js")).register,
    (await import("./demo.js")).register,
    (await import("./gaps.js")).register,
    (await import("./db.js")).register,
    (await import("./validate-config.js")).register,
    (await import("./serve.js")).register,
    (await import("./health.js")).register,
    (await import("./bus.js")).register,
  ];
}
