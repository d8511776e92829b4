/** Where parsers of action files put the rows they refuse (the ingest's `Rejects` fits). */
export interface RejectSink {
  add(file: string, line: number, reason: string, raw: string): void;
}

/** Calls `fn(fields, line, raw)` for every non-blank line of a text, lines numbered from 1. */
export function eachCsvLine(text: string, fn: (fields: string[], line: number, raw: string) => void): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim().length === 0) continue;
    fn(
      raw.split(",").map((f) => f.trim()),
      i + 1,
      raw,
    );
  }
}
