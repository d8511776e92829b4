export { BarBatcher, type BarWriter, DuplicateIndex, REASON } from "./batcher.js";
export { parseNumber, splitQuoted } from "./bytes.js";
export {
  type BarField,
  COLUMN_NAMES,
  type ColumnMap,
  detectDelimiter,
  importCsvBars,
  mapColumns,
} from "./csv.js";
export {
  DEFAULT_GENERATE_START,
  type GeneratedSession,
  type GenerateOptions,
  generateBars,
  mulberry32,
  sessionsFrom,
  syntheticSymbols,
} from "./generate.js";
export { DEFAULT_BATCH_ROWS, expandPaths, ingest, parseFormat } from "./ingest.js";
export { classifyLeanPath, importLeanFile, LEAN_PRICE_SCALE, LEAN_TIME_ZONE, type LeanFile } from "./lean.js";
export { importParquetBars } from "./parquet.js";
export { Rejects, rejectsCsv, writeRejectsCsv } from "./rejects.js";
export {
  daysFromCivil,
  LocalToUtc,
  parseTimeFormat,
  TIME_FORMATS,
  type TimeFormat,
  TimeParser,
} from "./timestamps.js";
export {
  INGEST_FORMATS,
  type IngestFormat,
  type IngestOptions,
  type IngestProgress,
  type IngestSummary,
  type Rejection,
} from "./types.js";
export { readZip, type ZipEntry } from "./zip.js";
