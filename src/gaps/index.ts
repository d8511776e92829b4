export { type AuditOptions, auditGaps, type SessionGaps } from "./audit.js";
export { detectGaps, type GapRange, type GapReport } from "./detect.js";
