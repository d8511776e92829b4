import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "./index.js";
import { REPO_ROOT } from "./testing/deps.js";

/** Every name src/index.ts exports (values and types), from its source. */
function exportedNames(): string[] {
  const source = readFileSync(join(REPO_ROOT, "src/index.ts"), "utf8");
  const names: string[] = [];
  for (const block of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const raw of block[1].split(",")) {
      const item = raw.trim().replace(/^type /, "");
      if (item) names.push(item.split(/\s+as\s+/).pop()!);
    }
  }
  return names.sort();
}

/** Every name docs/api.md lists under "Exports". */
function documentedNames(): string[] {
  const doc = readFileSync(join(REPO_ROOT, "docs/api.md"), "utf8");
  const section = doc.slice(
    doc.indexOf("### Exports"),
    doc.indexOf("\n### ", doc.indexOf("### Exports") + 1),
  );
  const names = new Set<string>();
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    for (const m of line.split("|")[2].matchAll(/`([A-Za-z]+)`/g)) names.add(m[1]);
  }
  return [...names].sort();
}

describe("the public API", () => {
  it("exports by name exactly what docs/api.md lists", () => {
    expect(exportedNames()).toEqual(documentedNames());
  });

  it("exports no value that src/index.ts does not name", () => {
    const named = new Set(exportedNames());
    expect(Object.keys(api).filter((k) => !named.has(k))).toEqual([]);
  });
});
