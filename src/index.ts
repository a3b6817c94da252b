/** promptcode's library API: the CLI is one caller of these. */
export { PcError, isPcError, type PcErrorCode } from "./util/errors.js";
export { init, type InitOptions, type InitResult } from "./commands/init.js";
export { status, check, type StatusOptions, type StatusReport } from "./commands/status.js";
export { render, type RenderOptions, type RenderResult } from "./commands/render.js";
export { accept, type AcceptOptions, type AcceptResult } from "./commands/accept.js";
export type { PromptStatus, PromptState } from "./plan/states.js";
export type { Lock, LockEntry, OutputSource } from "./lock/lockfile.js";
export type { Engine, GenerationRequest, GenerationResult, ModelIdentity, ChatMessage } from "./engine/types.js";
export { graph, type GraphOptions, type GraphPrompt, type ProjectGraph } from "./commands/graph.js";
export { toMermaid, toDot, type GraphFormat } from "./commands/graph-format.js";
export { toPrometheus, writeMetrics } from "./commands/metrics.js";
export { doctor, type DoctorOptions, type DoctorReport, type Finding, type FindingLevel } from "./commands/doctor.js";
export {
  build,
  type BuildOptions,
  type BuildReport,
  type BuildEvent,
  type BuildOutcome,
  type PromptBuildResult,
  type DroppedEntry,
} from "./commands/build.js";
export {
  verify,
  type VerifyOptions,
  type VerifyReport,
  type PromptVerifyResult,
  type VerifyOutcome,
} from "./commands/verify.js";
export { watch, type WatchOptions, type WatchEvent, type Watcher } from "./commands/watch.js";
export { diff, type DiffOptions, type DiffResult } from "./commands/diff.js";
export { log, type LogOptions, type LogReport, type LogEntry } from "./commands/log.js";
export { gc, type GcOptions, type GcReport } from "./commands/gc.js";
export type { Generation, GenerationSource } from "./cache/store.js";
export {
  repairLock,
  type LockRepairOptions,
  type LockRepairReport,
  type RepairedPrompt,
  type RepairAction,
} from "./commands/lock-repair.js";
export { runCli } from "./cli/run-cli.js";
export type { CliIo, OutputStream } from "./cli/io.js";
