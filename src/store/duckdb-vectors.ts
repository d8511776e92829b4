import type { DuckDBDataChunk } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";

/**
 * Raw column copies between typed arrays and DuckDB data chunks. `@duckdb/node-api` writes
 * and reads vectors one item at a time; bulk ingest and streaming reads copy whole columns
 * with one native call each instead (measured: ~25x less time per chunk). Only flat,
 * fixed-width columns without NULLs go through here; callers make sure of that in SQL.
 */

/** Rows a DuckDB data chunk holds at most (DuckDB's standard vector size, 2048). */
export const CHUNK_ROWS: number = bindings.vector_size();

/** Sets the chunk's row count (resetting it first) for a fresh fill of `rows` rows. */
export function resetChunk(chunk: DuckDBDataChunk, rows: number): void {
  bindings.data_chunk_reset(chunk.chunk);
  bindings.data_chunk_set_size(chunk.chunk, rows);
}

/** Copies `rows` values of `source` starting at `from` into column `column` of the chunk. */
export function writeColumn(
  chunk: DuckDBDataChunk,
  column: number,
  source: Float64Array | Int32Array | Uint8Array | Int16Array,
  from: number,
  rows: number,
): void {
  const width = source.BYTES_PER_ELEMENT;
  bindings.copy_data_to_vector(
    bindings.data_chunk_get_vector(chunk.chunk, column),
    0,
    source.buffer as ArrayBuffer,
    source.byteOffset + from * width,
    rows * width,
  );
}

/** Column `column` (DOUBLE) of a result chunk of `rows` rows (a copy of its vector: one native call). */
export function doublesOf(chunk: DuckDBDataChunk, column: number, rows: number): Float64Array {
  const bytes = bindings.vector_get_data(bindings.data_chunk_get_vector(chunk.chunk, column), rows * 8);
  return new Float64Array(bytes.buffer, bytes.byteOffset, rows);
}

/** Column `column` (INTEGER) of a result chunk (a copy, see `doublesOf`). */
export function intsOf(chunk: DuckDBDataChunk, column: number, rows: number): Int32Array {
  const bytes = bindings.vector_get_data(bindings.data_chunk_get_vector(chunk.chunk, column), rows * 4);
  return new Int32Array(bytes.buffer, bytes.byteOffset, rows);
}

/** Column `column` (UTINYINT) of a result chunk (a copy, see `doublesOf`). */
export function bytesOf(chunk: DuckDBDataChunk, column: number, rows: number): Uint8Array {
  return bindings
    .vector_get_data(bindings.data_chunk_get_vector(chunk.chunk, column), rows)
    .subarray(0, rows);
}

/** Copies column `column` (DOUBLE) of a result chunk of `rows` rows into `target` at `at`. */
export function readDoubles(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  target: Float64Array,
  at: number,
): void {
  target.set(doublesOf(chunk, column, rows), at);
}

/** Copies column `column` (INTEGER) of a result chunk into `target` at `at`. */
export function readInts(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  target: Int32Array,
  at: number,
): void {
  target.set(intsOf(chunk, column, rows), at);
}

/** Copies column `column` (UTINYINT) of a result chunk into `target` at `at`. */
export function readBytes(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  target: Uint8Array,
  at: number,
): void {
  target.set(bytesOf(chunk, column, rows), at);
}
