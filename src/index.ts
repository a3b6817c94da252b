/** promptcode's library API: the CLI is one caller of these. */
export { PcError, isPcError, type PcErrorCode } from "./errors.js";
export { init, type InitOptions, type InitResult } from "./ops/init.js";
export { status, check, type StatusOptions, type StatusReport } from "./ops/status.js";
export { render, type RenderOptions, type RenderResult } from "./ops/render.js";
export type { PromptStatus, PromptState } from "./plan/states.js";
export type { Lock, LockEntry, OutputSource } from "./lock/lockfile.js";
export type { Engine, GenerationRequest, GenerationResult, ModelIdentity, ChatMessage } from "./engine/types.js";
export { repairLock, type LockRepairOptions, type LockRepairReport, type RepairedPrompt, type RepairAction } from "./ops/lock-repair.js";
