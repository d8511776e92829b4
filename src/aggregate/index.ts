export { DerivedBarBuilder, type DerivedBarBuilderOptions } from "./builder.js";
export { DerivedCache } from "./cache.js";
export {
  type DeriveOptions,
  deriveBars,
  INHERITED_FLAGS,
  type MinuteBars,
} from "./derive.js";
export { FormingBars, type FormingBarsOptions } from "./forming.js";
export {
  type Anchor,
  type Bucket,
  type BucketOptions,
  bucketOf,
  IntervalPlan,
  planSession,
  toInterval,
} from "./plan.js";
export { derivedQuality } from "./quality.js";
export { QuoteBarBuilder, QuoteSeries, type QuoteUpdate, quotesToBars } from "./quotes.js";
export { readStoredBars, type StoredBars } from "./stored-bars.js";
export { TickBarBuilder, type TickBarOptions, type TicksToBarsOptions, ticksToBars } from "./ticks.js";
