export { type FillSource, openFillSource } from "./fill-source.js";
export {
  type BarSource,
  type GapCounts,
  type GapEvent,
  type GapState,
  RepositoryBarSource,
  type TrackedGap,
  Upkeep,
  type UpkeepHost,
  type UpkeepOptions,
  type UpkeepStatus,
  type UpkeepSymbol,
} from "./upkeep.js";
