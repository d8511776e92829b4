import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../model/errors.js";
import { nearestName, schemaKeys } from "./keys.js";
import { type Config, configSchema, formatIssues } from "./schema.js";
import { parseSymbolEntry } from "./symbols.js";

type Plain = Record<string, unknown>;

/** Where configuration comes from, in rising precedence after the defaults. */
export interface ConfigSources {
  /** A JSON or YAML file. */
  file?: string;
  /** Environment (TICKWRIGHT_* keys are read); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, already shaped like the config (e.g. { upkeep: { enabled: false } }). */
  flags?: Plain;
}

/** Reads a JSON or YAML config file into a plain object; a clear error names the file. */
export function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  try {
    const value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error("the top level must be an object");
    }
    return value as Plain;
  } catch (err) {
    throw new ConfigError([
      `${path}: not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(err as Error).message}`,
    ]);
  }
}

/** Every leaf key path of the schema, e.g. `upkeep.intervalSeconds`, with its zod type name. */
export function configKeys(): { path: string; type: string }[] {
  return schemaKeys(configSchema)
    .filter((k) => !k.group)
    .map(({ path, type }) => ({ path, type }));
}

/** The environment variable of a key path: `upkeep.intervalSeconds` -> `TICKWRIGHT_UPKEEP_INTERVAL_SECONDS`. */
export function envName(path: string): string {
  return `TICKWRIGHT_${path
    .replace(/\./g, "_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()}`;
}

function envValue(raw: string, type: string): unknown {
  const t = raw.trim();
  if (type === "boolean") return t === "true" || t === "1" ? true : t === "false" || t === "0" ? false : t;
  if (type === "number") return t === "" ? t : Number(t);
  if (type === "array")
    return t.startsWith("[")
      ? JSON.parse(t)
      : t
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
  if (type === "union") return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  if (type === "record") return t.startsWith("{") ? JSON.parse(t) : t;
  return t;
}

/** A `symbols` item from the environment: `SPY`, or `7203@XTKS` (an object is kept as it is). */
function entryOf(item: unknown): unknown {
  return typeof item === "string" ? parseSymbolEntry(item) : item;
}

/**
 * The TICKWRIGHT_* variables of an environment, shaped like the config. An empty one
 * (`TICKWRIGHT_SERVER_TOKEN=`) counts as unset.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Plain {
  const out: Plain = {};
  for (const { path, type } of configKeys()) {
    const raw = env[envName(path)];
    if (raw === undefined || raw.trim() === "") continue;
    const value = envValue(raw, type);
    // TICKWRIGHT_SYMBOLS=SPY,7203@XTKS: a symbol may name its market's calendar.
    setPath(out, path, path === "symbols" && Array.isArray(value) ? value.map(entryOf) : value);
  }
  return out;
}

/** TICKWRIGHT_* variables that are not configuration: the test and tool settings. */
export const TOOL_VARIABLES = [
  "TICKWRIGHT_CHROMIUM",
  "TICKWRIGHT_NATS_SERVER",
  "TICKWRIGHT_PG_RESTART_TEST",
  "TICKWRIGHT_SLOW_TESTS",
  "TICKWRIGHT_TEST_PG_URL",
];

/**
 * The TICKWRIGHT_* variables of an environment that neither configure a key nor are a tool's,
 * each as `NAME: unknown variable`, with the nearest known variable when one is close.
 */
export function unknownEnvVariables(env: NodeJS.ProcessEnv): string[] {
  const known = [...configKeys().map((k) => envName(k.path)), ...TOOL_VARIABLES];
  return Object.keys(env)
    .filter((name) => name.startsWith("TICKWRIGHT_") && !known.includes(name))
    .sort()
    .map((name) => {
      const near = nearestName(name, known);
      return `${name}: unknown variable${near ? ` (nearest known variable: ${near})` : ""}`;
    });
}

function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = target;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Plain;
  o[keys[keys.length - 1]] = value;
}

/** Deep-merges plain objects; later sources win; arrays are replaced, not merged. */
export function mergeConfig(...sources: Plain[]): Plain {
  const out: Plain = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] =
        v &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        prev &&
        typeof prev === "object" &&
        !Array.isArray(prev)
          ? mergeConfig(prev as Plain, v as Plain)
          : v;
    }
  }
  return out;
}

/** The merged but not yet validated configuration (defaults are applied by the schema). */
export function gatherConfig(sources: ConfigSources = {}): Plain {
  const file = sources.file ? readConfigFile(sources.file) : {};
  return mergeConfig(file, configFromEnv(sources.env ?? process.env), sources.flags ?? {});
}

/**
 * Loads the configuration: defaults, then the file, then TICKWRIGHT_* environment, then flags.
 * Throws ConfigError listing every problem as `key.path: message`.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const r = configSchema.safeParse(gatherConfig(sources));
  if (!r.success) throw new ConfigError(formatIssues(r.error));
  return r.data;
}
