/** promptcode's library API: the CLI is one caller of these. */
export { PcError, isPcError, type PcErrorCode } from "./errors.js";
export { init, type InitOptions, type InitResult } from "./ops/init.js";
export { status, check, type StatusOptions, type StatusReport } from "./ops/status.js";
export { render, type RenderOptions, type RenderResult } from "./ops/render.js";
export { accept, type AcceptOptions, type AcceptResult } from "./ops/accept.js";
export type { PromptStatus, PromptState } from "./plan/states.js";
export type { Lock, LockEntry, OutputSource } from "./lock/lockfile.js";
export type { Engine, GenerationRequest, GenerationResult, ModelIdentity, ChatMessage } from "./engine/types.js";
export { graph, type GraphOptions, type GraphPrompt, type ProjectGraph } from "./ops/graph.js";
export { toMermaid, toDot, type GraphFormat } from "./ops/graph-format.js";
export { toPrometheus, writeMetrics } from "./build/metrics.js";
export { doctor, type DoctorOptions, type DoctorReport, type Finding, type FindingLevel } from "./ops/doctor.js";
export {
  build, type BuildOptions, type BuildReport, type BuildEvent, type BuildOutcome, type PromptBuildResult,
} from "./build/build.js";
export { verify, type VerifyOptions, type VerifyReport, type PromptVerifyResult, type VerifyOutcome } from "./build/verify.js";
export { watch, type WatchOptions, type WatchEvent, type Watcher } from "./watch/watch.js";
export { diff, type DiffOptions, type DiffResult } from "./ops/diff.js";
export { log, type LogOptions, type LogReport, type LogEntry } from "./ops/log.js";
export { gc, type GcOptions, type GcReport } from "./ops/gc.js";
export type { Generation, GenerationSource } from "./cache/store.js";
export { repairLock, type LockRepairOptions, type LockRepairReport, type RepairedPrompt, type RepairAction } from "./ops/lock-repair.js";
