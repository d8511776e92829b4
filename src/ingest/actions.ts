import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import {
  closeBefore,
  factorFileActions,
  mapFileRenames,
  parseActionsCsv,
  parseFactorFile,
  parseMapFile,
  type SecurityHistory,
  securityHistory,
  withReference,
} from "../actions/index.js";
import type { Calendar } from "../calendar/types.js";
import { InputError } from "../model/errors.js";
import type { CorporateAction, Repository } from "../store/types.js";
import type { LeanFile } from "./lean.js";
import type { Rejects } from "./rejects.js";

/** The exchange calendar of LEAN's US equities: ex-dates are its sessions. */
export const LEAN_CALENDAR = "XNYS";

/** A LEAN factor file or map file of one security. */
export interface LeanActionFile {
  path: string;
  kind: "factor" | "map";
  /** The security's current ticker, from the file name. */
  symbol: string;
}

/** What reading action files did. */
export interface ActionsIngested {
  /** Data rows read. */
  rows: number;
  /** Actions written. */
  stored: number;
}

/** The `equity/<market>` folder of a LEAN price file. */
function marketFolder(file: LeanFile): string {
  const symbolOrResolution = dirname(file.path);
  return Number.isNaN(file.day) ? dirname(symbolOrResolution) : dirname(dirname(symbolOrResolution));
}

/** Non-blank lines of a text. */
function dataRows(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) if (line.trim().length > 0) n++;
  return n;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * The factor files and map files beside LEAN price data (`equity/<market>/factor_files/` and
 * `map_files/`): every one of a market folder that a given path contains, else those of the
 * symbols whose price files are ingested. Files of delisted securities that share a ticker
 * (LEAN's numbered `twx.1.csv`) are left out.
 */
export async function leanActionFiles(
  given: readonly string[],
  priceFiles: readonly LeanFile[],
): Promise<LeanActionFile[]> {
  const markets = new Map<string, Set<string>>();
  for (const f of priceFiles) {
    const folder = marketFolder(f);
    const symbols = markets.get(folder) ?? new Set<string>();
    symbols.add(f.symbol);
    markets.set(folder, symbols);
  }
  const roots = given.map((g) => resolve(g));
  const out: LeanActionFile[] = [];
  for (const [folder, symbols] of [...markets].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const all = roots.some((r) => folder === r || folder.startsWith(r + sep));
    for (const [sub, kind] of [
      ["factor_files", "factor"],
      ["map_files", "map"],
    ] as const) {
      let names: string[];
      try {
        names = (await readdir(join(folder, sub))).filter((n) => n.toLowerCase().endsWith(".csv")).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        const symbol = name.slice(0, -4).toUpperCase();
        if (/\.\d+$/.test(symbol) || !(all || symbols.has(symbol))) continue;
        out.push({ path: join(folder, sub, name), kind, symbol });
      }
    }
  }
  return out;
}

/**
 * Reads LEAN factor and map files into splits, dividends and renames (ex-dates on
 * `calendar`) and writes them, one transaction per file; bad rows go to `rejects`.
 */
export async function ingestLeanActions(
  files: readonly LeanActionFile[],
  repository: Repository,
  calendar: Calendar,
  rejects: Rejects,
): Promise<ActionsIngested> {
  let rows = 0;
  let stored = 0;
  for (const f of files) {
    const text = await readText(f.path);
    rows += dataRows(text);
    const actions =
      f.kind === "factor"
        ? factorFileActions(f.symbol, parseFactorFile(text, f.path, rejects), calendar)
        : mapFileRenames(parseMapFile(text, f.path, rejects), calendar);
    stored += await repository.writeActions(actions);
  }
  return { rows, stored };
}

/**
 * Reads plain actions CSVs (`symbol,date,kind,value`) and writes them. Splits and renames are
 * written first; a dividend's factor then comes from the stored close before its ex-date,
 * and a dividend without one is rejected.
 */
export async function ingestActionsCsv(
  files: readonly string[],
  repository: Repository,
  calendar: Calendar,
  rejects: Rejects,
): Promise<ActionsIngested> {
  let rows = 0;
  let stored = 0;
  for (const path of files) {
    const text = await readText(path);
    rows += dataRows(text);
    const parsed = parseActionsCsv(text, path, rejects);
    stored += await repository.writeActions(
      parsed.filter((p) => p.action.kind !== "dividend").map((p) => p.action),
    );
    const histories = new Map<string, SecurityHistory>();
    const dividends: CorporateAction[] = [];
    for (const { action, line, raw } of parsed) {
      if (action.kind !== "dividend") continue;
      let history = histories.get(action.symbol);
      if (!history) {
        history = await securityHistory(repository, action.symbol);
        histories.set(action.symbol, history);
      }
      const close = await closeBefore(repository, calendar, history, action.date);
      if (Number.isNaN(close)) {
        rejects.add(path, line, "no close before the ex-date in the store (ingest prices first)", raw);
        continue;
      }
      const withFactor = withReference(action, close);
      if (withFactor === null)
        rejects.add(path, line, "dividend is not below the close before the ex-date", raw);
      else dividends.push(withFactor);
    }
    stored += await repository.writeActions(dividends);
  }
  return { rows, stored };
}
