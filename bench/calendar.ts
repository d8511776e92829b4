import { getCalendar } from "../src/calendar/registry.js";
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
 * Calendar figures: building the XNYS table for 1990-2035 from its rules (with a cold time-zone
 * table each time), one `sessionAt(t)` lookup at a random instant, and the expected minute
 * starts of a random session.
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
  ];
}

const group: BenchGroup = { name: "calendar", run };
export default group;
