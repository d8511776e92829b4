import type { SessionBar } from "../model/bar.js";

/** A bar delivered by the engine: one-minute or derived, at clock time `at` (its end). */
export interface BarEvent extends SessionBar {
  type: "bar";
  at: number;
}
