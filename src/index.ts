/** promptcode's library API: the CLI is one caller of these. */
export { PcError, isPcError, type PcErrorCode } from "./errors.js";
export { init, type InitOptions, type InitResult } from "./ops/init.js";
export { status, check, type StatusOptions, type StatusReport } from "./ops/status.js";
export { render, type RenderOptions, type RenderResult } from "./ops/render.js";
export type { PromptStatus, PromptState } from "./plan/states.js";
export type { Lock, LockEntry, OutputSource } from "./lock/lockfile.js";
export type { Engine, GenerationRequest, GenerationResult, ModelIdentity, ChatMessage } from "./engine/types.js";
export { watch, type WatchOptions, type WatchEvent, type Watcher } from "./watch/watch.js";
export { diff, type DiffOptions, type DiffResult } from "./ops/diff.js";
export { log, type LogOptions, type LogReport, type LogEntry } from "./ops/log.js";
export { gc, type GcOptions, type GcReport } from "./ops/gc.js";
export type { Generation, GenerationSource } from "./cache/store.js";
