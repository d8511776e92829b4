/**
 * Calendars: the sessions of a market (regular and extended bounds, holidays, early closes,
 * DST) as precomputed tables answered by binary search, and the boundary manager that emits
 * preOpen/open/close/postClose/roll on the engine's clock. Start with `getCalendar(name)`.
 */
export {
  type BoundaryEvent,
  type BoundaryKind,
  type BoundaryListener,
  BoundaryManager,
  type BoundaryOptions,
  type BoundaryStatus,
  nextBoundary,
} from "./boundaries.js";
export { buildAlwaysOpen, buildFx } from "./continuous.js";
export { calendarToJson } from "./export.js";
export { type CalendarJson, calendarFromJson, calendarJsonSchema, loadCalendarFile } from "./json.js";
export { BUILT_IN_CALENDARS, calendarNames } from "./names.js";
export { getCalendar } from "./registry.js";
export { EARLY_CLOSE, LATE_OPEN, type SessionColumns, SessionTableBuilder, TableCalendar } from "./table.js";
export type { Calendar, MarketState, Session } from "./types.js";
export { buildXnys, type XnysOptions, xnysEarlyCloses, xnysHolidays, xnysLateOpens } from "./xnys.js";
export { ZoneOffsets } from "./zone.js";
