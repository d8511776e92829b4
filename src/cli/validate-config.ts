import type { Command } from "commander";
import { out, plural } from "./io.js";
import { type ConfigOptions, configOption } from "./options.js";

/** Options of `tickwright validate-config`. */
interface ValidateOptions extends ConfigOptions {
  production?: boolean;
}

/**
 * `tickwright validate-config`: loads defaults < file < TICKWRIGHT_* as every command does and
 * prints every error (`key.path: message`; unknown keys at any depth with the nearest known
 * key; the rules `serve` refuses to start on) and, with --production (or `production: true`
 * in the configuration), every production warning. Exit 2 on errors; 0 when valid, warnings
 * or not.
 */
export function register(program: Command): void {
  const command = program
    .command("validate-config")
    .description("check a configuration: every error with its key, and production warnings")
    .option("--production", "also print production warnings");
  configOption(command).action(async (opts: ValidateOptions) => {
    const { checkConfig } = await import("../config/validate.js");
    const report = checkConfig({ file: opts.config });
    for (const e of report.errors) out(`error: ${e}`);
    const warn = opts.production === true || report.config?.production === true;
    if (warn) for (const w of report.warnings) out(`warning: ${w}`);
    const where = opts.config ? opts.config : "defaults and environment";
    if (report.errors.length > 0) {
      out(`${where}: ${plural(report.errors.length, "error")}`);
      process.exitCode = 2;
      return;
    }
    out(`${where}: valid${warn ? `, ${plural(report.warnings.length, "production warning")}` : ""}`);
    process.exitCode = 0;
  });
}
