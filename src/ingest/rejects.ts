import { writeFile } from "node:fs/promises";
import type { Rejection } from "./types.js";

/** Collects rejected rows and counts them by reason. */
export class Rejects {
  readonly list: Rejection[] = [];
  readonly byReason: Record<string, number> = {};

  add(file: string, line: number, reason: string, raw: string): void {
    this.list.push({ file, line, reason, raw });
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
  }

  get count(): number {
    return this.list.length;
  }
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The rejects as CSV: a `file,line,reason,raw` header, then one row per rejection. */
export function rejectsCsv(rejects: readonly Rejection[]): string {
  const lines = ["file,line,reason,raw"];
  for (const r of rejects)
    lines.push([csvField(r.file), String(r.line), csvField(r.reason), csvField(r.raw)].join(","));
  return `${lines.join("\n")}\n`;
}

/** Writes the rejects CSV to `path`. */
export async function writeRejectsCsv(path: string, rejects: readonly Rejection[]): Promise<void> {
  await writeFile(path, rejectsCsv(rejects));
}
