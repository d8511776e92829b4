import { type EngineEvent, eventLine } from "../engine/index.js";
import type { QualityReport } from "./subjects.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A result's payload: its `--out` line (a quality report: its fields in a fixed order), UTF-8. */
export function eventPayload(e: EngineEvent | QualityReport): Uint8Array {
  return encoder.encode(resultLine(e));
}

/** A result's `--out` line (a quality report: its fields in a fixed order). */
export function resultLine(e: EngineEvent | QualityReport): string {
  return e.type === "quality" ? qualityLine(e) : eventLine(e);
}

function qualityLine(q: QualityReport): string {
  return JSON.stringify({
    type: q.type,
    at: q.at,
    symbol: q.symbol,
    date: q.date,
    present: q.present,
    expected: q.expected,
    barQuality: q.barQuality,
  });
}

/** A result read back from the bus: the event (or quality report) and its `--out` line. */
export function parseResult(data: Uint8Array): { line: string; event: EngineEvent | QualityReport } {
  return parseResultLine(decoder.decode(data));
}

/** One result line (a message's payload, or a line of a batch of results). */
export function parseResultLine(line: string): { line: string; event: EngineEvent | QualityReport } {
  const event = JSON.parse(line) as EngineEvent | QualityReport;
  if (event.type === "bar") (event as { flags: number }).flags ??= 0;
  return { line, event };
}

/** The lines of a batch of results (`<p>.out.batch.<K>`: `--out` lines separated by `\n`). */
export function resultBatchLines(data: Uint8Array): string[] {
  return decoder.decode(data).split("\n");
}
