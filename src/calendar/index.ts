export {
  type BoundaryEvent,
  type BoundaryKind,
  type BoundaryListener,
  BoundaryManager,
  type BoundaryOptions,
  type BoundaryStatus,
} from "./boundaries.js";
export { buildAlwaysOpen, buildFx } from "./continuous.js";
export { type CalendarJson, calendarFromJson, calendarJsonSchema, loadCalendarFile } from "./json.js";
export { calendarNames, getCalendar } from "./registry.js";
export { EARLY_CLOSE, LATE_OPEN, type SessionColumns, SessionTableBuilder, TableCalendar } from "./table.js";
export type { Calendar, MarketState, Session } from "./types.js";
export { buildXnys, type XnysOptions, xnysEarlyCloses, xnysHolidays } from "./xnys.js";
export { ZoneOffsets } from "./zone.js";
