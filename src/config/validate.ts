import { configFromEnv, envName, gatherConfig, unknownEnvVariables } from "./load.js";
import { type Config, configSchema, formatIssues } from "./schema.js";

/** Measured memory of one symbol: current session + 5 trailing sessions of 1m bars + derived bars. */
export const MEASURED_SYMBOL_KB = 200;
/** The per-symbol memory limit never goes below this many MB in production. */
export const MIN_MEMORY_PER_SYMBOL_MB = 1;
/** Headroom over the estimated need: typed arrays grow by doubling, and queries copy bars out. */
export const MEMORY_HEADROOM = 2;
/** Shortest prefetch window, in minutes, that production accepts without a warning. */
export const MIN_PREFETCH_WINDOW_MINUTES = 30;

/** Minutes of one-minute bars per session: regular hours, and with pre- and after-market. */
const REGULAR_MINUTES = 390;
const EXTENDED_MINUTES = 960;

/**
 * Estimated memory of one symbol in MB under a configuration: the measured 200 KB for a
 * regular session plus 5 trailing sessions, scaled by the sessions kept (history.sessions + 1
 * over 6) and by the minutes per session (960 / 390 with extended hours).
 */
export function estimatedSymbolMB(config: Config): number {
  const sessions = (config.history.sessions + 1) / 6;
  const minutes = config.extended ? EXTENDED_MINUTES / REGULAR_MINUTES : 1;
  return (MEASURED_SYMBOL_KB / 1024) * sessions * minutes;
}

/**
 * Production warnings for a valid configuration, each `key.path: what is wrong`: upkeep off,
 * gap filling off, prefetch off or its window under 30 minutes, monitoring off, the memory
 * limit per symbol below max(1 MB, 2 x the estimated need). Empty when the configuration is
 * fit for production.
 */
export function validateProduction(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.upkeep.enabled) {
    warnings.push("upkeep.enabled: upkeep is off: gaps are neither detected nor filled, quality is not kept");
  } else if (!config.upkeep.fillGaps) {
    warnings.push("upkeep.fillGaps: gap filling is off: missing bars stay missing");
  }
  if (!config.prefetch.enabled) {
    warnings.push("prefetch.enabled: prefetch is off: every session open waits for the database");
  } else if (config.prefetch.windowMinutes < MIN_PREFETCH_WINDOW_MINUTES) {
    warnings.push(
      `prefetch.windowMinutes: ${config.prefetch.windowMinutes} minutes is under ${MIN_PREFETCH_WINDOW_MINUTES}: the next session may not be loaded before it opens`,
    );
  }
  if (!config.monitoring.enabled) {
    warnings.push("monitoring.enabled: monitoring is off: no performance figures in health and metrics");
  }
  const need = estimatedSymbolMB(config);
  const floor = Math.max(MIN_MEMORY_PER_SYMBOL_MB, MEMORY_HEADROOM * need);
  const limit = config.limits.memoryPerSymbolMB;
  if (limit < floor) {
    const count = config.symbols.length;
    const total = count > 0 ? `; ${count} symbols need at least ${round(floor * count)} MB` : "";
    warnings.push(
      `limits.memoryPerSymbolMB: ${limit} MB per symbol is below the ${round(floor)} MB floor (estimated need ${round(need)} MB per symbol, x${MEMORY_HEADROOM} headroom, at least ${MIN_MEMORY_PER_SYMBOL_MB} MB)${total}`,
    );
  }
  return warnings;
}

/**
 * The rules a valid configuration must also meet, as `serve` applies them: a server bound
 * beyond loopback needs a token. Empty when there is nothing to refuse.
 */
export function configProblems(config: Config): string[] {
  if (!isLoopbackHost(config.server.host) && !config.server.token) {
    return [
      `server.token: required when the server binds beyond loopback (server.host is ${config.server.host}); give --token or TICKWRIGHT_SERVER_TOKEN`,
    ];
  }
  return [];
}

/** What `validate-config` found: every error, and the production warnings of a valid config. */
export interface ConfigReport {
  config?: Config;
  errors: string[];
  warnings: string[];
}

/**
 * Validates configuration sources without throwing: errors as `key.path: message` (with the
 * TICKWRIGHT_* variable named when the bad value came from the environment; unknown keys at
 * any depth with the nearest known key; unknown TICKWRIGHT_* variables with the nearest known
 * one; the rules of `configProblems`), and the production
 * warnings when the configuration is valid.
 */
export function checkConfig(sources: { file?: string; env?: NodeJS.ProcessEnv }): ConfigReport {
  const env = sources.env ?? process.env;
  let merged: Record<string, unknown>;
  try {
    merged = gatherConfig({ file: sources.file, env });
  } catch (err) {
    const issues = (err as { issues?: string[] }).issues;
    return { errors: issues ?? [String((err as Error).message)], warnings: [] };
  }
  const unknown = unknownEnvVariables(env);
  const r = configSchema.safeParse(merged);
  if (!r.success) {
    const fromEnv = configFromEnv(env);
    const errors = formatIssues(r.error).map((line) => {
      const path = line.slice(0, line.indexOf(": "));
      return hasPath(fromEnv, path) ? `${line} (from ${envName(path)})` : line;
    });
    return { errors: [...errors, ...unknown], warnings: [] };
  }
  const problems = [...configProblems(r.data), ...unknown];
  if (problems.length > 0) return { errors: problems, warnings: [] };
  return { config: r.data, errors: [], warnings: validateProduction(r.data) };
}

function hasPath(obj: Record<string, unknown>, path: string): boolean {
  let o: unknown = obj;
  for (const k of path.split(".")) {
    if (!o || typeof o !== "object" || !(k in (o as Record<string, unknown>))) return false;
    o = (o as Record<string, unknown>)[k];
  }
  return true;
}

/** True for a host name or address only this machine can reach (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
