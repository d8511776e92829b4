import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfigInput, configSchema } from "./schema.js";
import {
  checkConfig,
  configProblems,
  estimatedSymbolMB,
  isLoopbackHost,
  validateProduction,
} from "./validate.js";

const config = (input: ConfigInput) => configSchema.parse(input);

describe("validateProduction", () => {
  it("finds nothing to warn about in the defaults", () => {
    expect(validateProduction(config({}))).toEqual([]);
  });

  it("warns when upkeep is off, naming the key", () => {
    expect(validateProduction(config({ upkeep: { enabled: false } }))).toEqual([
      "upkeep.enabled: upkeep is off: gaps are neither detected nor filled, quality is not kept",
    ]);
  });

  it("warns when gap filling is off", () => {
    expect(validateProduction(config({ upkeep: { fillGaps: false } }))).toEqual([
      "upkeep.fillGaps: gap filling is off: missing bars stay missing",
    ]);
  });

  it("warns about a prefetch window under 30 minutes but not at 30", () => {
    expect(validateProduction(config({ prefetch: { windowMinutes: 29 } }))).toEqual([
      "prefetch.windowMinutes: 29 minutes is under 30: the next session may not be loaded before it opens",
    ]);
    expect(validateProduction(config({ prefetch: { windowMinutes: 30 } }))).toEqual([]);
    expect(validateProduction(config({ prefetch: { enabled: false } }))).toEqual([
      "prefetch.enabled: prefetch is off: every session open waits for the database",
    ]);
  });

  it("warns when monitoring is off", () => {
    expect(validateProduction(config({ monitoring: { enabled: false } }))).toEqual([
      "monitoring.enabled: monitoring is off: no performance figures in health and metrics",
    ]);
  });

  it("estimates 200 KB per symbol for a session and 5 trailing ones, scaled by sessions and extended hours", () => {
    expect(estimatedSymbolMB(config({}))).toBeCloseTo(200 / 1024, 12);
    expect(estimatedSymbolMB(config({ history: { sessions: 11 } }))).toBeCloseTo((2 * 200) / 1024, 12);
    expect(estimatedSymbolMB(config({ extended: true }))).toBeCloseTo(((200 / 1024) * 960) / 390, 12);
  });

  it("warns when the memory limit per symbol is under the 1 MB floor, with what the symbols need", () => {
    const symbols = Array.from({ length: 400 }, (_, i) => `S${i}`);
    expect(validateProduction(config({ symbols, limits: { memoryPerSymbolMB: 0.5 } }))).toEqual([
      "limits.memoryPerSymbolMB: 0.5 MB per symbol is below the 1 MB floor (estimated need 0.2 MB per symbol, x2 headroom, at least 1 MB); 400 symbols need at least 400 MB",
    ]);
    expect(validateProduction(config({ symbols, limits: { memoryPerSymbolMB: 1 } }))).toEqual([]);
  });

  it("warns when a long history needs more than twice the estimate", () => {
    expect(
      validateProduction(config({ history: { sessions: 250 }, limits: { memoryPerSymbolMB: 10 } })),
    ).toEqual([
      "limits.memoryPerSymbolMB: 10 MB per symbol is below the 16.34 MB floor (estimated need 8.17 MB per symbol, x2 headroom, at least 1 MB)",
    ]);
  });

  it("refuses a server bound beyond loopback without a token, as serve does; not with one", () => {
    expect(configProblems(config({ server: { host: "0.0.0.0" } }))).toEqual([
      "server.token: required when the server binds beyond loopback (server.host is 0.0.0.0); give --token or TICKWRIGHT_SERVER_TOKEN",
    ]);
    expect(configProblems(config({ server: { host: "0.0.0.0", token: "x".repeat(16) } }))).toEqual([]);
    expect(configProblems(config({ server: { host: "localhost" } }))).toEqual([]);
    expect(validateProduction(config({ server: { host: "0.0.0.0" } }))).toEqual([]);
  });

  it("lists every warning at once", () => {
    const all = validateProduction(
      config({
        upkeep: { enabled: false },
        prefetch: { windowMinutes: 5 },
        monitoring: { enabled: false },
        limits: { memoryPerSymbolMB: 0.1 },
      }),
    );
    expect(all.map((w) => w.slice(0, w.indexOf(":")))).toEqual([
      "upkeep.enabled",
      "prefetch.windowMinutes",
      "monitoring.enabled",
      "limits.memoryPerSymbolMB",
    ]);
  });
});

describe("isLoopbackHost", () => {
  it("knows loopback names and addresses from the rest", () => {
    const hosts = [
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "::1",
      "[::1]",
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "example.com",
    ];
    expect(hosts.map(isLoopbackHost)).toEqual([true, true, true, true, true, false, false, false, false]);
  });
});

describe("checkConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "tickwright-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports every bad key of a file with its path", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "upkeep:",
        "  intervalSeconds: -5",
        "  maxRetries: 1.5",
        "derived:",
        "  intervals: [5m, 7x]",
        "server:",
        "  port: 70000",
        "colour: blue",
        "",
      ].join("\n"),
    );
    const r = checkConfig({ file, env: {} });
    expect(r.config).toBeUndefined();
    expect(r.errors.map((e) => e.slice(0, e.indexOf(": ")))).toEqual([
      "upkeep.intervalSeconds",
      "upkeep.maxRetries",
      "derived.intervals.1",
      "server.port",
      "colour",
    ]);
    expect(r.errors[0]).toBe("upkeep.intervalSeconds: must be positive");
    expect(r.errors[4]).toBe("colour: unknown key");
  });

  it("names an unknown key at any depth with its path and the nearest known key", () => {
    const file = join(dir, "typos.yaml");
    writeFileSync(
      file,
      ["upkeep:", "  maxRetrys: 3", "server:", "  prot: 8081", "derivd: {}", ""].join("\n"),
    );
    expect(checkConfig({ file, env: {} }).errors).toEqual([
      "upkeep.maxRetrys: unknown key (nearest known key: upkeep.maxRetries)",
      "server.prot: unknown key (nearest known key: server.port)",
      "derivd: unknown key (nearest known key: derived)",
    ]);
  });

  it("names the environment variable a bad value came from", () => {
    const r = checkConfig({ env: { TICKWRIGHT_UPKEEP_INTERVAL_SECONDS: "0" } });
    expect(r.errors).toEqual([
      "upkeep.intervalSeconds: must be positive (from TICKWRIGHT_UPKEEP_INTERVAL_SECONDS)",
    ]);
  });

  it("lets the environment override the file", () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify({ upkeep: { enabled: false } }));
    expect(checkConfig({ file, env: {} }).warnings.length).toBe(1);
    expect(checkConfig({ file, env: { TICKWRIGHT_UPKEEP_ENABLED: "true" } }).warnings).toEqual([]);
  });

  it("reports an unreadable or malformed file as an error", () => {
    expect(checkConfig({ file: join(dir, "missing.json"), env: {} }).errors[0]).toMatch(
      /missing\.json: cannot read \(ENOENT\)/,
    );
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    expect(checkConfig({ file: broken, env: {} }).errors[0]).toMatch(/broken\.json: not valid JSON/);
  });
});
