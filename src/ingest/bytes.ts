/**
 * Byte-level field parsing for the importers' hot loops: numbers are read straight from the
 * input buffer without making a string per field.
 */

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Parses a decimal number from bytes [s, e), spaces around it ignored. Plain decimals of up
 * to 15 significant digits are computed as integer / 10^k, which IEEE division rounds exactly
 * as `Number(text)` does; anything else (exponents, long digit runs, `NaN`, text) goes through
 * `Number()`. Empty or invalid: NaN.
 */
export function parseNumber(b: Uint8Array, s: number, e: number): number {
  readNumber(b, s, e, one, 0);
  return one[0];
}

const one = new Float64Array(1);

/**
 * `parseNumber` of bytes [s, e) stored at `out[k]`: a hot loop calling this makes no number
 * object per field (a double returned from a call is boxed).
 */
export function readNumber(b: Uint8Array, s: number, e: number, out: Float64Array, k: number): void {
  while (s < e && b[s] === 32) s++;
  while (e > s && b[e - 1] === 32) e--;
  if (s === e) {
    out[k] = Number.NaN;
    return;
  }
  if (plainDecimal(b, s, e, out, k) !== e || Number.isNaN(out[k])) out[k] = slowNumber(b, s, e);
}

/**
 * Reads `[+-]digits[.digits]` from `s` (up to `e`) into `out[k]`: computed as integer /
 * 10^k when it has 1 to 15 digits, else NaN. Returns where it stopped: the first byte that
 * is not part of such a number.
 */
export function plainDecimal(b: Uint8Array, s: number, e: number, out: Float64Array, k: number): number {
  let i = s;
  let neg = false;
  let c = i < e ? b[i] : 0;
  if (c === 45) {
    neg = true;
    i++;
  } else if (c === 43) {
    i++;
  }
  let v = 0;
  let digits = 0;
  let point = -1;
  for (; i < e; i++) {
    c = b[i];
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) {
      point = digits;
    } else break;
  }
  if (digits === 0 || digits > 15) {
    out[k] = Number.NaN;
    return i;
  }
  const r = point < 0 || point === digits ? v : v / POW10[digits - point];
  out[k] = neg ? -r : r;
  return i;
}

function slowNumber(b: Uint8Array, s: number, e: number): number {
  const text = Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("latin1");
  // Number("") and Number("0x1F") are not decimal numbers from a data file
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number.NaN;
  return Number(text);
}

/** Decodes bytes [s, e) as UTF-8 without surrounding spaces. */
export function text(b: Uint8Array, s: number, e: number): string {
  while (s < e && b[s] === 32) s++;
  while (e > s && b[e - 1] === 32) e--;
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("utf8");
}

/**
 * Splits a CSV line that contains quotes into unquoted fields (RFC 4180: `""` inside quotes is
 * a quote). The slow path; lines without quotes are split in place by the importers.
 */
export function splitQuoted(line: string, delimiter = ","): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      out.push(field);
      field = "";
    } else {
      field += ch;
    }
  }
  out.push(field);
  return out;
}
