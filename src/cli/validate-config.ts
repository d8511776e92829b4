import type { Command } from "commander";
import { out } from "./io.js";

/** Options of `tickwright validate-config`. */
interface ValidateOptions {
  config?: string;
  production?: boolean;
}

/**
 * `tickwright validate-config`: loads defaults < file < TICKWRIGHT_* and prints every error
 * (`key.path: message`) and, with --production (or `production: true` in the configuration),
 * every production warning. Exit 1 on errors; 0 when valid, warnings or not.
 */
export function register(program: Command): void {
  program
    .command("validate-config")
    .description("check a configuration: every error with its key, and production warnings")
    .option("--config <file>", "configuration file (JSON or YAML)")
    .option("--production", "also print production warnings")
    .action(async (opts: ValidateOptions) => {
      const { checkConfig } = await import("../config/validate.js");
      const report = checkConfig({ file: opts.config });
      for (const e of report.errors) out(`error: ${e}`);
      const warn = opts.production === true || report.config?.production === true;
      if (warn) for (const w of report.warnings) out(`warning: ${w}`);
      const where = opts.config ? opts.config : "defaults and environment";
      if (report.errors.length > 0) {
        out(`${where}: ${report.errors.length} error${report.errors.length === 1 ? "" : "s"}`);
        process.exitCode = 1;
        return;
      }
      const shown = warn ? report.warnings.length : 0;
      out(`${where}: valid${warn ? `, ${shown} production warning${shown === 1 ? "" : "s"}` : ""}`);
      process.exitCode = 0;
    });
}
