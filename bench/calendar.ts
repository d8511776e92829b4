import { BUILT_IN_CALENDARS } from "../src/calendar/names.js";
import { buildCalendar, getCalendar } from "../src/calendar/registry.js";
import { buildXnys } from "../src/calendar/xnys.js";
import { ZoneOffsets } from "../src/calendar/zone.js";
import type { BenchGroup, Figure } from "./harness.js";
import { medianMicros } from "./harness.js";

/** A fixed pseudo-random sequence (xorshift), so every run looks up the same instants. */
function randoms(n: number, seed = 0x9e3779b9): Float64Array {
  const out = new Float64Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x / 0x1_0000_0000;
  }
  return out;
}

/**
 * Median ms of building a calendar cold (no cached zone table), after warm-ups: wall time, and
 * the process's CPU time over the same runs (less swayed by other processes on a loaded machine).
 */
function buildTimes(build: () => unknown, runs = 13): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < runs + 3; k++) {
    ZoneOffsets.clearCache();
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    build();
    const c = process.cpuUsage(c0);
    if (k >= 3) {
      wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  return { wall: median(wall), cpu: median(cpu) };
}

/** Median wall ms of building a calendar cold (see buildTimes). */
function buildMillis(build: () => unknown, runs = 13): number {
  return buildTimes(build, runs).wall;
}

/**
 * Every built-in calendar's build from its rules, one by one and all together (target: all
 * under 100 ms), each beside the XNYS 1990-2035 build of the same run; and `sessionAt` on
 * XTKS (breaks) and CMES beside XNYS and a bare binary search over the same open times.
 */
async function exchanges(xnysBuild: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  let sum = 0;
  for (const { name } of BUILT_IN_CALENDARS) {
    const ms = buildMillis(() => buildCalendar(name));
    sum += ms;
    const years = `${buildCalendar(name).firstDate.slice(0, 4)}-${buildCalendar(name).lastDate.slice(0, 4)}`;
    figures.push({
      name: `calendarBuildMillis.${name}`,
      value: ms,
      unit: "ms",
      note: `${years}; ${(ms / xnysBuild).toFixed(2)}x the XNYS 1990-2035 build`,
    });
  }
  const all = buildTimes(() => {
    for (const { name } of BUILT_IN_CALENDARS) buildCalendar(name);
  }, 7);
  figures.push({
    name: "calendarBuildMillisAll",
    value: all.wall,
    unit: "ms",
    note: `all ${BUILT_IN_CALENDARS.length} built-ins together, ${all.cpu.toFixed(1)} ms CPU (sum of one by one ${sum.toFixed(1)} ms), target < 100 ms`,
  });
  const floorOpens = getCalendar("XTKS").columns.open;
  for (const name of ["XTKS", "CMES"]) {
    const cal = getCalendar(name);
    const first = cal.session(0).open;
    const last = cal.session(cal.length - 1).close;
    const instants = Array.from(randoms(4096, 3), (r) => first + Math.floor(r * (last - first)));
    let i = 0;
    let hits = 0;
    const lookup = await medianMicros(() => {
      if (cal.sessionAt(instants[i++ & 4095]) !== undefined) hits++;
    });
    let j = 0;
    const floor = await medianMicros(() => {
      const t = instants[j++ & 4095];
      let lo = 0;
      let hi = floorOpens.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (floorOpens[mid] <= t) lo = mid + 1;
        else hi = mid;
      }
      if (lo < 0) hits++;
    });
    if (hits < 0) throw new Error("unreachable");
    figures.push({
      name: `sessionForMicros.${name}`,
      value: lookup,
      unit: "us",
      note: `target < 0.5 us; ${(lookup / floor).toFixed(1)}x a bare binary search (${floor.toFixed(3)} us)`,
    });
  }
  return figures;
}

/**
 * Calendar figures: building the XNYS table for 1990-2035 from its rules (with a cold time-zone
 * table each time), one `sessionAt(t)` lookup at a random instant, the expected minute
 * starts of a random session, and every built-in exchange's build (see exchanges()).
 */
async function run(): Promise<Figure[]> {
  // Each build is a few ms and allocates, so time whole builds (after a warm-up) and take the median.
  const builds: number[] = [];
  for (let k = 0; k < 23; k++) {
    ZoneOffsets.clearCache();
    const t0 = process.hrtime.bigint();
    buildXnys({ firstYear: 1990, lastYear: 2035 });
    if (k >= 3) builds.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  builds.sort((a, b) => a - b);
  const build = builds[builds.length >> 1];

  const cal = getCalendar("XNYS");
  const first = cal.session(0).preOpen;
  const last = cal.session(cal.length - 1).postClose;
  const instants = Array.from(randoms(4096), (r) => first + Math.floor(r * (last - first)));
  let i = 0;
  let hits = 0;
  const lookup = await medianMicros(() => {
    if (cal.sessionAt(instants[i++ & 4095]) !== undefined) hits++;
  });

  const sessions = Array.from(randoms(1024, 7), (r) => cal.session(Math.floor(r * cal.length)));
  let j = 0;
  const minutes = await medianMicros(() => cal.expectedMinutes(sessions[j++ & 1023]));
  const buffer = new Float64Array(1024);
  const minutesInto = await medianMicros(() => cal.writeExpectedMinutes(sessions[j++ & 1023], buffer));
  if (hits < 0) throw new Error("unreachable");

  return [
    { name: "calendarBuildMillis", value: build, unit: "ms", note: "XNYS 1990-2035, target < 50 ms" },
    { name: "sessionForMicros", value: lookup, unit: "us", note: "sessionAt(t), random t, O(log n)" },
    {
      name: "expectedMinutesMicros",
      value: minutes,
      unit: "us",
      note: "390 minute starts, new Float64Array",
    },
    { name: "writeExpectedMinutesMicros", value: minutesInto, unit: "us", note: "into a reused buffer" },
    ...(await exchanges(build)),
  ];
}

const group: BenchGroup = { name: "calendar", run };
export default group;
