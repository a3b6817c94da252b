// Shared by the build integration tests: run build() against the test server, and read what it asked.
import { build, type BuildEvent, type BuildOptions, type BuildReport } from "../../src/index.js";
import { defaultEngineFactory, type EngineFactory } from "../../src/engine/engine-factory.js";
import type { RetryPolicy } from "../../src/engine/retry.js";
import type { RecordedChatRequest, TestServer } from "./openai-server.js";
import type { TempProject } from "./project.js";

/** Retries fast enough for tests; Retry-After values up to 5 s are honoured as sent. */
export const FAST_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 10, maxDelayMs: 5_000 };

/** The real engine factory with another retry policy. */
export function withRetryPolicy(policy: RetryPolicy): EngineFactory {
  return (kind, settings) => defaultEngineFactory(kind, { ...settings, retry: policy });
}

export interface BuildRun {
  report: BuildReport;
  events: BuildEvent[];
}

/** Builds `project` against `server` with fast retries, collecting the events. */
export async function buildIn(
  project: TempProject,
  server: Pick<TestServer, "baseURL">,
  options: BuildOptions = {},
): Promise<BuildRun> {
  const events: BuildEvent[] = [];
  const report = await build({
    cwd: project.root,
    baseUrl: server.baseURL,
    engineFactory: withRetryPolicy({ ...FAST_RETRY, retries: options.retries ?? FAST_RETRY.retries }),
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { report, events };
}

/** prompt -> outcome, for compact assertions. */
export function outcomes(report: BuildReport): Record<string, string> {
  return Object.fromEntries(report.prompts.map((p) => [p.prompt, p.outcome]));
}

/** The first output path each chat request asked for (from pc's output contract), in arrival order. */
export function requestedOutputs(server: TestServer): string[] {
  return server.chatRequests().map(outputOf);
}

export function outputOf(request: RecordedChatRequest): string {
  const user = String(request.body.messages.at(-1)?.content ?? "");
  const contract = user.slice(user.lastIndexOf("## Output"));
  const match = /`([^`\s]+\.[a-z0-9]+)`|^- (\S+)$/m.exec(contract);
  return match?.[1] ?? match?.[2] ?? "?";
}

/** The user message of a chat request. */
export function userMessage(request: RecordedChatRequest): string {
  return String(request.body.messages.at(-1)?.content ?? "");
}
