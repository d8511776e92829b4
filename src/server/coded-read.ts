import type { BarQuery, CodedBarColumns, Repository } from "../store/types.js";

/** Wall ms of work on the main thread after which a read yields to the event loop. */
const YIELD_MS = 4;

/** Lets the event loop run what is waiting (requests, timers) before going on. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A function to call between pieces of a long job on the main thread: it yields to the event
 * loop once YIELD_MS have passed since the last yield, and returns at once otherwise.
 */
export function pauser(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since <= YIELD_MS) return;
    await yieldToLoop();
    since = performance.now();
  };
}

/**
 * A range read with each row's symbol as its index into `query.symbols`, in (time, symbol)
 * order: off the main thread in one piece where the store can (`readCodedBars`), else
 * streamed in chunks of `chunkRows`, yielding to the event loop between them.
 */
export async function readCoded(
  repository: Repository,
  query: BarQuery,
  chunkRows: number,
): Promise<CodedBarColumns[]> {
  if (repository.readCodedBars) return [await repository.readCodedBars(query)];
  const index = new Map(query.symbols.map((symbol, k) => [symbol, k]));
  const chunks: CodedBarColumns[] = [];
  const pause = pauser();
  for await (const c of repository.streamBars(query, chunkRows)) {
    const code = new Int32Array(c.length);
    for (let i = 0; i < c.length; i++) code[i] = index.get(c.symbol[i])!;
    chunks.push({ ...c, code });
    await pause();
  }
  return chunks;
}

/**
 * Where each symbol's rows go when the rows of `chunks` are grouped by symbol code (each
 * group keeps the rows' order): `start[k]` is the first slot of code k, `count[k]` its rows.
 */
export function groupByCode(
  chunks: readonly CodedBarColumns[],
  codes: number,
): { start: Int32Array; count: Int32Array; rows: number } {
  const count = new Int32Array(codes);
  let rows = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) count[c.code[i]]++;
    rows += c.length;
  }
  const start = new Int32Array(codes);
  for (let k = 1; k < codes; k++) start[k] = start[k - 1] + count[k - 1];
  return { start, count, rows };
}
