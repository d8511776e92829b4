import type { CorporateAction } from "./types.js";

/** The range bounds of an actions read when the query leaves them out (every date sorts between). */
export const ALL_DATES = { from: "0000-00-00", to: "9999-99-99" } as const;

/** The last action of every (symbol, date, kind) of a batch, in first-seen key order. */
export function lastActionPerKey(actions: readonly CorporateAction[]): CorporateAction[] {
  const last = new Map<string, CorporateAction>();
  for (const a of actions) last.set(`${a.symbol}\u0000${a.date}\u0000${a.kind}`, a);
  return [...last.values()];
}

/** An action as the stores' column values: symbol, ex_date, kind, value, factor, reference, previous (NaN and absent as null). */
export function actionValues(a: CorporateAction): (string | number | null)[] {
  const n = (x: number) => (Number.isNaN(x) ? null : x);
  return [a.symbol, a.date, a.kind, n(a.value), a.factor, n(a.reference), a.previous ?? null];
}

/** A stored row (the `actionValues` columns) back as an action: null numbers as NaN, a null previous left out. */
export function actionFromRow(r: readonly unknown[]): CorporateAction {
  const n = (x: unknown) => (x === null ? Number.NaN : Number(x));
  const a: CorporateAction = {
    symbol: r[0] as string,
    date: r[1] as string,
    kind: r[2] as CorporateAction["kind"],
    value: n(r[3]),
    factor: Number(r[4]),
    reference: n(r[5]),
  };
  if (r[6] !== null) a.previous = r[6] as string;
  return a;
}
