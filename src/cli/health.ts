import type { Command } from "commander";
import { out } from "./io.js";
import { type ConfigOptions, commandConfig, configOption } from "./options.js";

/** Options of `tickwright health`. */
interface HealthOptions extends ConfigOptions {
  url?: string;
  token?: string;
  json?: boolean;
  timeout?: string;
}

interface ComponentReport {
  status: string;
  details?: Record<string, unknown>;
}

/**
 * `tickwright health [--url URL]`: asks a server's /health and prints a summary. The address
 * defaults to server.host and server.port of the configuration (a server bound to every
 * address is asked on 127.0.0.1), the token to server.token (TICKWRIGHT_SERVER_TOKEN). Exit 0
 * when ok, 1 when degraded or down or when the server cannot be reached, 2 for a bad --url or
 * a refused token.
 */
export function register(program: Command): void {
  const command = program
    .command("health")
    .description("ask a running server for its health: exit 0 ok, 1 degraded, down or unreachable")
    .option("--url <url>", "server address (default: http://server.host:server.port of the configuration)")
    .option("--token <token>", "bearer token (default server.token: TICKWRIGHT_SERVER_TOKEN)")
    .option("--timeout <seconds>", "give up after this many seconds", "5")
    .option("--json", "print the health report as JSON");
  configOption(command).action(async (opts: HealthOptions) => {
    process.exitCode = await healthCommand(opts);
  });
}

/** The server address of a configuration: wildcard binds are asked on loopback. */
function configuredUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
}

async function healthCommand(opts: HealthOptions): Promise<number> {
  const { server } = await commandConfig(opts.config, { server: { token: opts.token } });
  const base = opts.url ?? configuredUrl(server.host, server.port);
  let url: URL;
  try {
    url = new URL("/health", base);
  } catch {
    out(`bad --url "${base}"`);
    return 2;
  }
  const token = server.token;
  const seconds = Number(opts.timeout ?? 5);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout((seconds > 0 ? seconds : 5) * 1000),
    });
  } catch (err) {
    out(`unreachable: ${url.origin} (${unreachableCause(err, seconds > 0 ? seconds : 5)})`);
    return 1;
  }
  if (res.status === 401) {
    out(
      token
        ? `refused: ${url.origin}: the token given was refused (401)`
        : `refused: ${url.origin} needs a token (401); give --token or TICKWRIGHT_SERVER_TOKEN`,
    );
    return 2;
  }
  let body: { status?: string; at?: number; components?: Record<string, ComponentReport> };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    out(`unreachable: ${url.origin} answered ${res.status} without a health report`);
    return 1;
  }
  if (opts.json) out(JSON.stringify(body));
  else printHealth(url.origin, body);
  return body.status === "ok" ? 0 : 1;
}

/**
 * Why a request got no answer: the system's code (ECONNREFUSED, ENOTFOUND, ...), the timeout,
 * or the reason fetch gave (a port it refuses to ask, such as 1, is a "bad port").
 */
function unreachableCause(err: unknown, seconds: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${seconds} s`;
  if (e.cause?.code) return e.cause.code;
  if (e.cause?.message === "bad port") return "bad port: fetch refuses to connect to that port";
  return e.cause?.message ?? e.message;
}

function printHealth(
  origin: string,
  h: { status?: string; at?: number; components?: Record<string, ComponentReport> },
): void {
  const at = typeof h.at === "number" ? ` at ${show("at", h.at)}` : "";
  out(`${origin}: ${h.status ?? "unknown"}${at}`);
  const components = Object.entries(h.components ?? {});
  const w = Math.max(10, ...components.map(([name]) => name.length));
  for (const [name, c] of components) {
    out(`  ${name.padEnd(w)}  ${String(c.status).padEnd(8)}  ${summarize(c.details ?? {})}`);
  }
}

/**
 * Scalar details as `key=value`, at most 6 of them, nested objects and lists left out; clock
 * times (`clock`, `now`, `...At`) as ISO-8601 UTC.
 */
function summarize(details: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(details)) {
    if (v === null || typeof v === "object") continue;
    parts.push(`${k}=${show(k, v)}`);
    if (parts.length === 6) break;
  }
  return parts.join(" ");
}

function show(key: string, v: unknown): string {
  if (typeof v !== "number") return String(v);
  if (/^(clock|now|at)$|At$/.test(key) && Number.isFinite(v))
    return new Date(v).toISOString().replace(".000Z", "Z");
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
