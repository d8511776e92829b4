export * from "./bar.js";
export * from "./errors.js";
export * from "./interval.js";
export * from "./series.js";
export * from "./symbol.js";
export * from "./time.js";
