export {
  BarBatcher,
  type BarWriter,
  DuplicateIndex,
  fieldCountReason,
  REASON,
  SymbolCheck,
} from "./batcher.js";
export { parseNumber, splitQuoted } from "./bytes.js";
export {
  type BarField,
  COLUMN_NAMES,
  type ColumnMap,
  DEFAULT_MAX_LINE_BYTES,
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
export { barKind, DEFAULT_BATCH_ROWS, expandPaths, type FoundFiles, ingest, parseFormat } from "./ingest.js";
export { classifyLeanPath, importLeanFile, LEAN_PRICE_SCALE, LEAN_TIME_ZONE, type LeanFile } from "./lean.js";
export { importParquetBars } from "./parquet.js";
export { capRaw, RAW_LIMIT_BYTES, Rejects, RejectsFile, rejectsCsv, SAMPLE_REJECTIONS } from "./rejects.js";
export { END_TIME_MS, FIRST_TIME_MS, TIME_REASON, TimeRule } from "./time-rule.js";
export {
  daysFromCivil,
  LocalToUtc,
  parseTimeFormat,
  TIME_FORM,
  TIME_FORM_NAMES,
  TIME_FORMATS,
  type TimeFormat,
  TimeParser,
} from "./timestamps.js";
export {
  type FileFailure,
  INGEST_FORMATS,
  type IngestFormat,
  type IngestOptions,
  type IngestProgress,
  type IngestSummary,
  type KindCounts,
  type Rejection,
} from "./types.js";
export { DEFAULT_MAX_ENTRY_BYTES, readZipEntries, type ZipEntry } from "./zip.js";
