import { z } from "zod";
import { ADJUST_MODES } from "../actions/index.js";
import { parseInterval } from "../model/interval.js";
import { SYMBOL_PATTERN, SYMBOL_RULE } from "../model/symbol.js";
import { parseDate } from "../model/time.js";

/** A request parameter that does not validate: answered 400 `{ error, field }`. */
export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "BadRequestError";
  }
}

/**
 * Ticker-like, by the one symbol rule (`SYMBOL_PATTERN`, shared with the importers), and
 * upper-cased as the command line does (`sym001` is `SYM001`).
 */
export const symbolParam = z
  .string()
  .regex(SYMBOL_PATTERN, SYMBOL_RULE)
  .transform((s) => s.toUpperCase());

/** An interval name as `parseInterval` accepts it (`1m`, `5m`, `1h`, `1d`, ...), canonicalized. */
export const intervalParam = z.string().transform((s, ctx) => {
  try {
    return parseInterval(s).name;
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

/** A real calendar date `YYYY-MM-DD`. */
export const dateParam = z.string().superRefine((s, ctx) => {
  try {
    parseDate(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
});

const booleanParam = z
  .enum(["true", "false", "1", "0"], "true or false (or 1 or 0)")
  .transform((s) => s === "true" || s === "1");

/** A whole number `1..max`, with hand-written messages. */
function countParam(max: number) {
  return z
    .string()
    .regex(/^[+-]?\d+$/, "not a whole number")
    .transform(Number)
    .pipe(z.number().min(1, "at least 1").max(max, `at most ${max}`));
}

/** A comma-separated list of symbols. */
export const symbolListParam = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .pipe(z.array(symbolParam).max(1000, "at most 1000 symbols"));

/** The most bars one `n` request returns. */
export const MAX_N = 10_000;

/**
 * `/api/bars`: `symbol&interval&n` (session data) or `symbol&interval&from&to` (stored; with
 * `adjust=raw|split|adjusted` and `asOf=DATE`).
 */
export const barsQuery = z
  .object({
    symbol: symbolParam,
    interval: intervalParam.default("1m"),
    n: countParam(MAX_N).optional(),
    from: dateParam.optional(),
    to: dateParam.optional(),
    extended: booleanParam.optional(),
    adjust: z.enum(ADJUST_MODES, `one of ${ADJUST_MODES.join(", ")}`).optional(),
    asOf: dateParam.optional(),
  })
  .strict();

/** `/api/sessions`. */
export const sessionsQuery = z
  .object({
    calendar: z.string().min(1, "empty").max(64, "at most 64 characters").optional(),
    from: dateParam,
    to: dateParam,
  })
  .strict();

/** `/api/quality`. */
export const qualityQuery = z
  .object({ symbols: symbolListParam.optional(), from: dateParam.optional(), to: dateParam.optional() })
  .strict();

/** `/api/gaps`: one symbol's or every symbol's gaps, of sessions dated from..to. */
export const gapsQuery = z
  .object({ symbol: symbolParam.optional(), from: dateParam.optional(), to: dateParam.optional() })
  .strict();

/** `/api/events`. */
export const eventsQuery = z
  .object({
    symbols: symbolListParam.optional(),
    intervals: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()))
      .pipe(z.array(intervalParam))
      .optional(),
  })
  .strict();

/** `/api/metrics/:symbol`. */
export const symbolPath = z.object({ symbol: symbolParam }).strict();

/**
 * Validates request parameters against a schema; the first problem becomes a BadRequestError
 * naming its field (`symbol`, `interval`, ... or the unknown parameter): `n: required` when it
 * is absent, `n: given twice` when repeated, else the schema's hand-written message.
 */
export function parseParams<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const given = (input ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    if (Array.isArray(value)) fail(`${key}: given twice`, key);
  }
  const r = schema.safeParse(given);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    return fail(`unknown parameter "${key}"`, key);
  }
  const names = issue.path.filter((p): p is string => typeof p === "string");
  const field = names.length > 0 ? names.join(".") : "(query)";
  const message = issue.code === "invalid_type" && given[names[0]] === undefined ? "required" : issue.message;
  return fail(`${field}: ${message}`, field);
}

function fail(message: string, field: string): never {
  throw new BadRequestError(message, field);
}

/** Throws a BadRequestError when `from` is after `to` or the span exceeds `maxDays`. */
export function checkSpan(from: string, to: string, maxDays: number): void {
  const days = parseDate(to) - parseDate(from);
  if (days < 0) throw new BadRequestError(`from ${from} is after to ${to}`, "from");
  if (days > maxDays) throw new BadRequestError(`from..to spans ${days} days; at most ${maxDays}`, "to");
}
