/**
 * The one symbol rule, shared by the HTTP API and the importers: ticker-like, letters and
 * digits first, then at most 31 of letters, digits and `. _ - : / ^ =`.
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:\-/^=]{0,31}$/;

/** What `SYMBOL_PATTERN` asks for, as an error message. */
export const SYMBOL_RULE = "expected a symbol: letters, digits and . _ - : / ^ =, at most 32 characters";

/** True when `symbol` follows the symbol rule. */
export function isSymbol(symbol: string): boolean {
  return SYMBOL_PATTERN.test(symbol);
}
