export {
  type BarSource,
  type GapState,
  RepositoryBarSource,
  type TrackedGap,
  Upkeep,
  type UpkeepHost,
  type UpkeepOptions,
  type UpkeepStatus,
} from "./upkeep.js";
