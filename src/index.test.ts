import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as busApi from "./bus/client.js";
import * as api from "./index.js";
import { REPO_ROOT } from "./testing/deps.js";

/** Every name a module exports (values and types), from its source. */
function exportedNamesOf(file: string): string[] {
  const source = readFileSync(join(REPO_ROOT, file), "utf8");
  const names: string[] = [];
  for (const block of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const raw of block[1].split(",")) {
      const item = raw.trim().replace(/^type /, "");
      if (item) names.push(item.split(/\s+as\s+/).pop()!);
    }
  }
  return names.sort();
}

/** Every name docs/api.md lists in the table column `column` of the section `heading`. */
function documentedNames(heading = "### Exports", column = 2): string[] {
  const doc = readFileSync(join(REPO_ROOT, "docs/api.md"), "utf8");
  const section = doc.slice(doc.indexOf(heading), doc.indexOf("\n### ", doc.indexOf(heading) + 1));
  const names = new Set<string>();
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    for (const m of line.split("|")[column].matchAll(/`([A-Za-z]+)`/g)) names.add(m[1]);
  }
  return [...names].sort();
}

describe("the public API", () => {
  it("exports by name exactly what docs/api.md lists", () => {
    expect(exportedNamesOf("src/index.ts")).toEqual(documentedNames());
  });

  it("tickwright/bus exports by name exactly what docs/api.md lists under Bus client, and no other value", () => {
    const named = exportedNamesOf("src/bus/client.ts");
    expect(named).toEqual(documentedNames("### Bus client", 1));
    expect(Object.keys(busApi).filter((k) => !named.includes(k))).toEqual([]);
  });

  it("exports no value that src/index.ts does not name", () => {
    const named = new Set(exportedNamesOf("src/index.ts"));
    expect(Object.keys(api).filter((k) => !named.has(k))).toEqual([]);
  });
});
