import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";
import { run } from "../testing/cli.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A local HTTP server answering /health with `status` and `body`; requests' auth headers kept. */
async function healthServer(status: number, body: unknown, token?: string): Promise<string> {
  const server = createServer((req, res) => {
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"no"}');
      return;
    }
    res.writeHead(req.url === "/health" ? status : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const report = (status: string, upkeep = "ok") => ({
  status,
  at: Date.UTC(2013, 9, 7, 14, 0),
  components: {
    engine: {
      status: "ok",
      details: { mode: "backtest", state: "running", clock: Date.UTC(2013, 9, 7, 14, 0) },
    },
    upkeep: { status: upkeep, details: { cycles: 12, lastCycleMicros: 31.5, lastError: "timeout" } },
  },
});

describe("tickwright health", () => {
  it("prints each component and exits 0 when ok", async () => {
    const url = await healthServer(200, report("ok"));
    const r = await run("health", "--url", url);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      `${url}: ok at 2013-10-07T14:00:00Z`,
      "  engine      ok        mode=backtest state=running clock=2013-10-07T14:00:00Z",
      "  upkeep      ok        cycles=12 lastCycleMicros=31.50 lastError=timeout",
      "",
    ]);
  });

  it("exits 1 when degraded or down (503)", async () => {
    expect((await run("health", "--url", await healthServer(200, report("degraded", "degraded")))).code).toBe(
      1,
    );
    const down = await run("health", "--url", await healthServer(503, report("down")));
    expect(down.code).toBe(1);
    expect(down.stdout).toContain(": down at");
  });

  it("exits 1 when nothing answers, naming why, 2 when the token is refused or missing", {
    timeout: SPAWNS_TIMEOUT,
  }, async () => {
    const url = await healthServer(200, report("ok"));
    servers.pop()!.close();
    const gone = await runBin(["health", "--url", url, "--timeout", "2"]);
    expect([gone.code, gone.stdout, gone.stderr]).toEqual([1, `unreachable: ${url} (ECONNREFUSED)\n`, ""]);
    const guarded = await healthServer(200, report("ok"), "s3cret-token-of-16+");
    const refused = await run("health", "--url", guarded);
    expect([refused.code, refused.stdout]).toEqual([
      2,
      `refused: ${guarded} needs a token (401); give --token or TICKWRIGHT_SERVER_TOKEN\n`,
    ]);
    const wrong = await runBin(["health", "--url", guarded, "--token", "not-the-token-at-all"]);
    expect([wrong.code, wrong.stdout, wrong.stderr]).toEqual([
      2,
      `refused: ${guarded}: the token given was refused (401)\n`,
      "",
    ]);
    const blocked = await runBin(["health", "--url", "http://127.0.0.1:1"]);
    expect([blocked.code, blocked.stdout, blocked.stderr]).toEqual([
      1,
      "unreachable: http://127.0.0.1:1 (bad port: fetch refuses to connect to that port)\n",
      "",
    ]);
    const ok = await run("health", "--url", guarded, "--token", "s3cret-token-of-16+", "--json");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).status).toBe("ok");
  });
});
