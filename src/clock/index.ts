export type { Clock, TimerCallback, TimerHandle } from "./clock.js";
export { LiveClock } from "./live.js";
export { SimulatedClock } from "./simulated.js";
