import { engineKindOf, resolveBaseURL } from "../engine/engine-factory.js";
import { checkEmbedded } from "./doctor-embedded.js";
import { checkProject } from "./doctor-project.js";
import { checkServer } from "./doctor-served.js";
import type { Finding, ModelUse } from "./doctor-types.js";

export type { Finding, FindingLevel } from "./doctor-types.js";

export interface DoctorOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** OpenAI-compatible base URL (default: PC_BASE_URL, pc.config.json, then llama-server's default). */
  baseUrl?: string;
  /** Bearer token for the server (default: PC_API_KEY). */
  apiKey?: string;
  /** How long to wait for each server request, in ms (default 3000). */
  timeoutMs?: number;
}

export interface DoctorReport {
  /** No error: nothing found would make a build fail. */
  ok: boolean;
  findings: Finding[];
}

/**
 * Checks what a build needs: the project (config, lock, prompts, orphaned entries), the server for
 * each served model the prompts pin, and the embedded engine for each GGUF model.
 */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const root = options.cwd ?? process.cwd();
  const project = await checkProject(root);
  const served = new Map<string, ModelUse>();
  const embedded = new Map<string, ModelUse>();
  for (const [model, use] of [...project.models].sort(([a], [b]) => (a < b ? -1 : 1))) {
    (engineKindOf(model) === "embedded" ? embedded : served).set(model, use);
  }
  const findings = [...project.findings];
  if (served.size > 0) {
    const baseURL = resolveBaseURL(options.baseUrl, project.config);
    findings.push(...(await checkServer(baseURL, served, options.apiKey ?? process.env.PC_API_KEY, options.timeoutMs)));
  }
  if (embedded.size > 0)
    findings.push(...(await checkEmbedded({ root, modelsDir: project.config.modelsDir }, embedded)));
  return { ok: !findings.some((f) => f.level === "error"), findings };
}
