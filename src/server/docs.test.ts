import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { configKeys, envName } from "../config/load.js";
import { checkConfig } from "../config/validate.js";
import { createEngine } from "../engine/engine.js";
import { openRepository } from "../store/index.js";
import { REPO_ROOT } from "../testing/deps.js";
import { EngineMetrics } from "./metrics.js";

const deployment = readFileSync(join(REPO_ROOT, "docs/deployment.md"), "utf8");

describe("docs/deployment.md", () => {
  it("lists every configuration key with its environment variable", () => {
    const rows = new Set(deployment.split("\n").filter((l) => l.startsWith("| `")));
    const missing = configKeys()
      .map(({ path }) => `| \`${path}\` |`)
      .filter((start) => ![...rows].some((r) => r.startsWith(start)));
    expect(missing).toEqual([]);
    for (const { path } of configKeys()) {
      const row = [...rows].find((r) => r.startsWith(`| \`${path}\` |`))!;
      expect(row).toContain(`\`${envName(path)}\``);
    }
  });

  it("names every series /metrics exports (beyond prom-client's defaults)", async () => {
    const repository = await openRepository(":memory:");
    try {
      const engine = await createEngine({}, { repository, calendar: getCalendar("XNYS") });
      const metrics = new EngineMetrics(engine, { defaultMetrics: false });
      const names = metrics.registry.getMetricsAsArray().map((m) => m.name);
      expect(names.length).toBe(16);
      expect(names.filter((n) => !deployment.includes(`\`${n}`))).toEqual([]);
      metrics.close();
    } finally {
      await repository.close();
    }
  });
});

describe("examples/config.yaml", () => {
  it("is valid and draws no production warning", () => {
    const r = checkConfig({ file: join(REPO_ROOT, "examples/config.yaml"), env: {} });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.config?.production).toBe(true);
  });
});
