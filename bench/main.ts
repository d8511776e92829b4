import { cpus } from "node:os";
import type { BenchGroup, Figure } from "./harness.js";

/** Every benchmark group by name; loaded only when run, so `--only` skips the others. */
const groups: Array<{ name: string; load: () => Promise<{ default: BenchGroup }> }> = [
  { name: "actions", load: () => import("./actions.js") },
  { name: "aggregate", load: () => import("./aggregate.js") },
  { name: "bus", load: () => import("./bus.js") },
  { name: "calendar", load: () => import("./calendar.js") },
  { name: "ingest", load: () => import("./ingest.js") },
  { name: "postgres", load: () => import("./postgres.js") },
  { name: "replay", load: () => import("./replay.js") },
  { name: "server", load: () => import("./server.js") },
];

/**
 * `npm run bench` prints a table of every figure; `npm run bench -- --json` one JSON object
 * `{ machine, date, figures: { name: value } }`. `--only NAME` runs the groups whose name
 * contains NAME.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
  const figures: Figure[] = [];
  for (const entry of groups) {
    if (only && !entry.name.includes(only)) continue;
    const group = (await entry.load()).default;
    if (!json) process.stderr.write(`running ${group.name}...\n`);
    figures.push(...(await group.run()));
  }
  const machine = `${cpus()[0]?.model ?? "unknown cpu"} x${cpus().length}, node ${process.version}`;
  if (json) {
    const byName: Record<string, number> = {};
    for (const f of figures) byName[f.name] = f.value;
    process.stdout.write(`${JSON.stringify({ machine, date: new Date().toISOString(), figures: byName })}\n`);
    return;
  }
  const w = Math.max(...figures.map((f) => f.name.length), 10);
  process.stdout.write(`${machine}, ${new Date().toISOString()}\n\n`);
  for (const f of figures) {
    const v = f.value >= 100 ? Math.round(f.value).toLocaleString("en-US") : f.value.toPrecision(3);
    process.stdout.write(`${f.name.padEnd(w)}  ${v.padStart(14)} ${f.unit.padEnd(8)} ${f.note ?? ""}\n`);
  }
}

await main();
