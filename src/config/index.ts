export {
  configFromEnv,
  configKeys,
  envName,
  gatherConfig,
  loadConfig,
  mergeConfig,
  readConfigFile,
  TOOL_VARIABLES,
  unknownEnvVariables,
} from "./load.js";
export { type Config, type ConfigInput, configSchema, formatIssues } from "./schema.js";
export { parseSymbolEntry, type SymbolEntry, symbolCalendars, symbolNames } from "./symbols.js";
