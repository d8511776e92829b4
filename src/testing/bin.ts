import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { REPO_ROOT } from "./deps.js";

/** The built command line, as `npx tickwright` runs it. */
export const BIN = resolve(REPO_ROOT, "bin/tickwright.js");

/** Timeout of a test that spawns the bin several times (about a second each, more on a loaded machine). */
export const SPAWNS_TIMEOUT = 300_000;

/** How a spawned `tickwright` ended. */
export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Where and with what environment a spawned command runs. */
export interface BinOptions {
  cwd?: string;
  /** Variables added to the environment (TICKWRIGHT_* of the caller's own are removed first). */
  env?: Record<string, string>;
}

/** The environment of a spawned command: the caller's, less its TICKWRIGHT_* settings, plus `env`. */
function binEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TICKWRIGHT_")) base[k] = v;
  return { ...base, ...env };
}

/** Starts `node bin/tickwright.js ...args`; stdout and stderr are pipes. */
export function startBin(args: readonly string[], opts: BinOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: binEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a started command's output until it exits. */
export function finished(child: ChildProcess): Promise<BinResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  return new Promise((done, fail) => {
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Runs the built `tickwright` as a user does and waits for it. */
export function runBin(args: readonly string[], opts: BinOptions = {}): Promise<BinResult> {
  return finished(startBin(args, opts));
}

/**
 * Runs `tickwright ...args | head -1` in bash: stdout is what head printed, stderr what
 * tickwright printed there, code tickwright's own exit status.
 */
export function runIntoHead(args: readonly string[], opts: BinOptions = {}): Promise<BinResult> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("bash", ["-c", `${quoted} | head -1; exit "\${PIPESTATUS[0]}"`], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: binEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return finished(child);
}
