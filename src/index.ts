/**
 * tickwright's public API: what a strategy or a service built on tickwright uses, each name
 * listed in docs/api.md ("Exports"). Everything else is internal to the project (importable
 * inside it through each component's own index).
 */
export {
  type AdjustMode,
  type Adjustment,
  adjustBars,
  type FactorRow,
  FactorTimeline,
  factorFileActions,
  type MapRow,
  mapFileRenames,
  parseActionsCsv,
  parseFactorFile,
  parseMapFile,
  type SecurityHistory,
  securityHistory,
  type TickerSpan,
} from "./actions/index.js";
export { type Anchor, type DeriveOptions, deriveBars, quotesToBars, ticksToBars } from "./aggregate/index.js";
export {
  type Calendar,
  type CalendarJson,
  calendarFromJson,
  calendarNames,
  getCalendar,
  loadCalendarFile,
  type MarketState,
  nextBoundary,
  type Session,
} from "./calendar/index.js";
export type { Clock, TimerCallback, TimerHandle } from "./clock/index.js";
export { type Config, type ConfigInput, configSchema, loadConfig } from "./config/index.js";
export {
  type BarEvent,
  BarView,
  type BoundaryEvent,
  type ComponentHealth,
  type CorporateActionEvent,
  createEngine,
  Engine,
  type EngineCounters,
  type EngineEvent,
  type EngineEventMap,
  type EngineParts,
  eventLine,
  type GapCounts,
  type GapEvent,
  type Health,
  type HealthStatus,
  JsonlWriter,
  type LiveFeed,
  type LiveSink,
  type PrefetchRecord,
  type PrefetchState,
  type QuoteEvent,
  type Rejection,
  type RenameEvent,
  type RunState,
  type RunSummary,
  SessionData,
  Slice,
  type SliceBars,
  type Speed,
  type SymbolMetrics,
  type TickEvent,
} from "./engine/index.js";
export {
  type AuditOptions,
  auditGaps,
  detectGaps,
  type GapRange,
  type GapReport,
  type SessionGaps,
} from "./gaps/index.js";
export {
  type GeneratedSession,
  type GenerateOptions,
  generateBars,
  type IngestFormat,
  type IngestOptions,
  type IngestSummary,
  ingest,
  type Rejection as IngestRejection,
} from "./ingest/index.js";
export {
  AlpacaBarSource,
  AlpacaFeed,
  type AlpacaFeedOptions,
  AlpacaRestError,
  AlpacaStreamError,
  createLiveFeed,
  type LiveFeedConfig,
  LiveFeedError,
  ReplayAsLiveFeed,
  type ReplayAsLiveOptions,
} from "./live/index.js";
export {
  allocBarColumns,
  type Bar,
  type BarColumns,
  BarFlag,
  barsToColumns,
  ConfigError,
  columnsToBars,
  InputError,
  type Interval,
  InvalidArgumentError,
  parseInterval,
  type QuoteBar,
  type SessionBar,
  StoreError,
  type Tick,
  TickwrightError,
  UnknownSymbolError,
} from "./model/index.js";
export {
  buildServer,
  type RunningServer,
  type ServerOptions,
  type StartOptions,
  startServer,
} from "./server/index.js";
export {
  type ActionKind,
  type ActionQuery,
  type BarQuery,
  type CorporateAction,
  type OpenRepositoryOptions,
  openRepository,
  type RangeQuery,
  type Repository,
  type SymbolCoverage,
} from "./store/index.js";
export {
  type BarSource,
  type GapState,
  RepositoryBarSource,
  type TrackedGap,
  type Upkeep,
  type UpkeepStatus,
} from "./upkeep/index.js";
