import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { runBin } from "../testing/bin.js";
import { run } from "../testing/cli.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";

describe("tickwright db init", () => {
  it("without --db creates TICKWRIGHT_DB, else ./data/tickwright.duckdb of the working folder", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tw-db-default-"));
    try {
      const plain = await runBin(["db", "init"], { cwd });
      expect([plain.code, plain.stdout, plain.stderr]).toEqual([
        0,
        "DuckDB ./data/tickwright.duckdb: tables ready\n",
        "",
      ]);
      expect(existsSync(join(cwd, "data/tickwright.duckdb"))).toBe(true);
      const env = await runBin(["db", "init"], { cwd, env: { TICKWRIGHT_DB: "env.duckdb" } });
      expect([env.code, env.stdout]).toEqual([0, "DuckDB env.duckdb: tables ready\n"]);
      expect(existsSync(join(cwd, "env.duckdb"))).toBe(true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("creates the tables of a DuckDB file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-db-init-"));
    try {
      const file = join(dir, "sub", "market.duckdb");
      const r = await run("db", "init", "--db", file);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`DuckDB ${file}: tables ready\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgAvailable = await hasPostgres();

describe.skipIf(skipWithout("PostgreSQL", pgAvailable))("tickwright db init on PostgreSQL", () => {
  const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("creates the schema and tables, says whether hypertables were used, and hides the password", async () => {
    const url = new URL(TEST_PG_URL);
    url.password = "s3cret";
    url.searchParams.set("schema", schema);
    const r = await run("db", "init", "--db", url.toString());
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const timescale = await client.query(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'",
      );
      const tables = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      );
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("s3cret");
      const shown = url.toString().replace(":s3cret@", ":***@");
      if (timescale.rows.length === 0) {
        expect(r.stdout).toBe(
          `PostgreSQL ${shown}, schema ${schema}: plain tables: TimescaleDB is not available on this server\n`,
        );
      } else {
        expect(r.stdout).toMatch(
          new RegExp(`^PostgreSQL .*, schema ${schema}: TimescaleDB \\S+ hypertables`),
        );
      }
      expect(tables.rows.map((t) => t.table_name)).toEqual(["actions", "bars", "quotes", "ticks"]);
    } finally {
      await client.end();
    }
    const again = await run("db", "init", "--db", url.toString());
    expect([again.code, again.stdout]).toEqual([0, r.stdout]);
  });

  it("rejects a schema name that is not a plain identifier with exit 2", async () => {
    const r = await run("db", "init", "--db", `${TEST_PG_URL}?schema=Bad-Name`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tickwright: bad PostgreSQL schema "Bad-Name": expected a lower-case identifier (a-z, 0-9, _; not starting with a digit)\n',
    );
  });
});
