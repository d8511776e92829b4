import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every file of the repository (not node_modules, dist or .git), relative to its root. */
function repoFiles(dir = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!["node_modules", "dist", ".git", "data"].includes(entry.name)) files.push(...repoFiles(path));
    } else files.push(path);
  }
  return files;
}

const DOCS = [
  "README.md",
  "DEVELOPERS.md",
  "BENCHMARKS.md",
  ...readdirSync(join(REPO_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const FOLDERS = /^(src|docs|examples|bench|bin|\.ci|scripts)\//;
const FILE_NAME = /^[\w.-]+\.(ts|js|md|json|ya?ml|service|sh)$/;

/** Files a document names that the repository does not hold: relative links and `path` spans. */
function missingFiles(doc: string, names: ReadonlySet<string>): string[] {
  const text = readFileSync(join(REPO_ROOT, doc), "utf8");
  const missing: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
    if (!/^[a-z]+:/.test(target) && !existsSync(resolve(REPO_ROOT, dirname(doc), target)))
      missing.push(target);
  }
  for (const [, span] of text.matchAll(/`([^`\s]+)`/g)) {
    const path = span.replace(/[:,.]+$/, "").split(/[:#]/)[0];
    if (/[<*{]|\.\.\./.test(path)) continue;
    if (FOLDERS.test(path) ? !existsSync(join(REPO_ROOT, path)) : FILE_NAME.test(path) && !names.has(path)) {
      missing.push(path);
    }
  }
  return missing;
}

describe("the documents", () => {
  it("name only files the repository holds", () => {
    const names = new Set(repoFiles().map((f) => basename(f)));
    const missing = DOCS.filter((doc) => existsSync(join(REPO_ROOT, doc))).flatMap((doc) =>
      missingFiles(doc, names).map((path) => `${doc}: ${path}`),
    );
    expect(missing).toEqual([]);
  });
});

describe("examples/", () => {
  it("import tickwright as a user's code does, never ../src", () => {
    const sources = readdirSync(join(REPO_ROOT, "examples")).filter((f) => f.endsWith(".ts"));
    const inside = sources.filter((f) =>
      /from "\.\.\/src\//.test(readFileSync(join(REPO_ROOT, "examples", f), "utf8")),
    );
    expect(inside).toEqual([]);
    expect(readFileSync(join(REPO_ROOT, "examples/strategy.ts"), "utf8")).toContain('from "tickwright"');
  });
});
