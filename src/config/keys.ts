import type { z } from "zod";

/** One key of a configuration schema: its dotted path, zod type name, and whether it holds keys. */
export interface SchemaKey {
  path: string;
  type: string;
  group: boolean;
}

/** Every key path of an object schema, groups (`upkeep`) and leaves (`upkeep.maxRetries`). */
export function schemaKeys(schema: z.ZodType): SchemaKey[] {
  const keys: SchemaKey[] = [];
  const walk = (node: z.ZodType, prefix: string) => {
    let s = node;
    for (;;) {
      const def = s._zod.def as { type: string; innerType?: z.ZodType };
      if ((def.type === "default" || def.type === "prefault" || def.type === "optional") && def.innerType) {
        s = def.innerType;
      } else break;
    }
    const def = s._zod.def as { type: string; shape?: Record<string, z.ZodType> };
    const isGroup = def.type === "object" && def.shape !== undefined;
    if (prefix) keys.push({ path: prefix, type: def.type, group: isGroup });
    if (isGroup) for (const [k, v] of Object.entries(def.shape!)) walk(v, prefix ? `${prefix}.${k}` : k);
  };
  walk(schema, "");
  return keys;
}

/**
 * The known key nearest to an unknown one: the fewest edits between the last parts of the
 * paths, a key under the same parent winning a tie. Undefined when nothing is within half
 * the unknown key's length.
 */
export function nearestKey(unknown: string, known: readonly SchemaKey[]): string | undefined {
  const cut = unknown.lastIndexOf(".");
  const parent = unknown.slice(0, cut + 1);
  const name = unknown.slice(cut + 1).toLowerCase();
  let best: { path: string; score: number } | undefined;
  for (const k of known) {
    const last = k.path.slice(k.path.lastIndexOf(".") + 1).toLowerCase();
    const sameParent = k.path.slice(0, k.path.lastIndexOf(".") + 1) === parent;
    const score = editDistance(name, last) * 2 + (sameParent ? 0 : 1);
    if (best === undefined || score < best.score) best = { path: k.path, score };
  }
  return best && best.score <= name.length ? best.path : undefined;
}

/** The name nearest to an unknown one (fewest edits), undefined when none is within half its length. */
export function nearestName(unknown: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(unknown, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best && best.distance * 2 <= unknown.length ? best.name : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions turning a into b. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length];
}
