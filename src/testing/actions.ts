import type { CorporateAction } from "../store/types.js";

/** A rename for tests: `previous` became `symbol` on `date`. */
export function renameAction(symbol: string, date: string, previous: string): CorporateAction {
  return { symbol, date, kind: "rename", value: Number.NaN, factor: 1, reference: Number.NaN, previous };
}
