/**
 * Corporate actions: LEAN factor files and map files and plain actions CSVs read into
 * splits, dividends and renames; cumulative factors per date; bars adjusted in the LEAN
 * modes (raw, split, adjusted), as of a date; a security's history across ticker changes.
 */
export type { ActionKind, ActionQuery, CorporateAction } from "../store/types.js";
export { type CsvAction, parseActionsCsv, withReference } from "./actions-csv.js";
export { type AdjustableBars, adjustBars } from "./adjust.js";
export { currentTickers } from "./current-tickers.js";
export { compactDate, exDateAfter, isoDate } from "./dates.js";
export { type FactorRow, factorFileActions, factorRowOn, parseFactorFile } from "./factor-file.js";
export {
  ADJUST_MODES,
  type AdjustMode,
  type Adjustment,
  FactorTimeline,
  parseAdjustMode,
} from "./factors.js";
export { type MapRow, mapFileRenames, parseMapFile } from "./map-file.js";
export { closeBefore } from "./reference.js";
export { eachCsvLine, type RejectSink } from "./rejects.js";
export { readSecurityBars } from "./security-bars.js";
export { SecurityDirectory, type StoredData } from "./security-directory.js";
export {
  type SecurityHistory,
  securityHistories,
  securityHistory,
  spansWithin,
  type TickerSpan,
} from "./tickers.js";
