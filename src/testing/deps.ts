import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `../shared/data` beside the repository: the real LEAN sample data. */
export const SHARED_DATA = resolve(REPO_ROOT, "../shared/data");

/** The LEAN data root inside the shared data. */
export const LEAN_ROOT = resolve(SHARED_DATA, "lean");

const CI = process.env.CI === "true";

/**
 * Decides whether tests needing a dependency run. Returns true when they must be skipped:
 * outside CI a missing dependency skips them with a one-line reason; in CI it is an error.
 */
export function skipWithout(what: string, available: boolean): boolean {
  if (available) return false;
  if (CI) throw new Error(`CI=true but ${what} is not available`);
  console.warn(`skipping: ${what} is not available`);
  return true;
}

/**
 * Whether a slow test (minutes, gigabytes of temporary files) is skipped: it runs in CI
 * (CI=true) and with TICKWRIGHT_SLOW_TESTS=1; otherwise it skips with a one-line reason.
 */
export function skipSlow(what: string): boolean {
  if (CI || process.env.TICKWRIGHT_SLOW_TESTS === "1") return false;
  console.warn(`skipping: ${what} is a slow test (it runs with CI=true or TICKWRIGHT_SLOW_TESTS=1)`);
  return true;
}

/** True when ../shared/data is present. */
export function hasSharedData(): boolean {
  return existsSync(resolve(LEAN_ROOT, "equity/usa/minute/spy/20131007_trade.zip"));
}

/** The PostgreSQL URL tests use (TICKWRIGHT_TEST_PG_URL, or the local `test` database). */
export const TEST_PG_URL = process.env.TICKWRIGHT_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** True when PostgreSQL answers at TEST_PG_URL. */
export async function hasPostgres(): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Path to the Chromium binary used by browser tests, if installed. */
export const CHROMIUM = process.env.TICKWRIGHT_CHROMIUM ?? "/usr/bin/chromium";
