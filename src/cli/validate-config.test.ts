import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";

afterEach(() => {
  process.exitCode = undefined;
});

const dir = mkdtempSync(join(tmpdir(), "tickwright-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tickwright validate-config", () => {
  it("exits 2 on a bad file, naming each bad key", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        upkeep: { intervalSeconds: 0, maxRetries: -1 },
        prefetch: { windowMinutes: "soon" },
        mode: "paper",
      }),
    );
    const r = await run("validate-config", "--config", file);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 4).map((l) => l.slice(0, l.indexOf(": ", 7)))).toEqual([
      "error: mode",
      "error: upkeep.intervalSeconds",
      "error: upkeep.maxRetries",
      "error: prefetch.windowMinutes",
    ]);
    expect(lines[1]).toBe("error: upkeep.intervalSeconds: must be positive");
    expect(lines[4]).toBe(`${file}: 4 errors`);
  });

  it("prints production warnings with --production and still exits 0", async () => {
    const file = join(dir, "weak.yaml");
    writeFileSync(file, "upkeep:\n  enabled: false\nprefetch:\n  windowMinutes: 10\n");
    const r = await run("validate-config", "--config", file, "--production");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "warning: upkeep.enabled: upkeep is off: gaps are neither detected nor filled, quality is not kept",
      "warning: prefetch.windowMinutes: 10 minutes is under 30: the next session may not be loaded before it opens",
      `${file}: valid, 2 production warnings`,
    ]);
    const quiet = await run("validate-config", "--config", file);
    expect(quiet.stdout.trim()).toBe(`${file}: valid`);
  });

  it("exits 2 when the file cannot be read", async () => {
    const r = await run("validate-config", "--config", join(dir, "nope.yaml"));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("nope.yaml: cannot read (ENOENT)");
  });
});
