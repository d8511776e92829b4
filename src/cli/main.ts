import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { exitFor, exitQuietlyOnClosedPipe, isClosedPipe, note } from "./io.js";

/** The `tickwright` command line. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const program = new Command("tickwright")
    .description("market-data session engine: ingest, replay, serve and inspect bars")
    .version(packageVersion(), "-V, --version", "print the version")
    .configureHelp({ helpWidth: 150 })
    .showHelpAfterError()
    .exitOverride();
  for (const register of await commands()) register(program);
  // A misspelt TICKWRIGHT_* variable would be ignored: said once (validate-config makes it an error).
  program.hook("preAction", async (_, command) => {
    if (command.name() === "validate-config") return;
    const { unknownEnvVariables } = await import("../config/load.js");
    for (const line of unknownEnvVariables(process.env)) note(`tickwright: warning: ${line}, ignored`);
  });
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

/** The version in tickwright's package.json (two folders up from src/cli, three from dist/src/cli). */
function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "tickwright" && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return "unknown";
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
