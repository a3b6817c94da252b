import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Writes an inline file tree into a new temp folder and returns its path. */
export async function tempProject(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "pc-chat-"));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a machine with no display: no X11, no Wayland, no SSH agent of ours. */
export function noDisplayEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, NO_COLOR: "1", ...extra };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/** Runs the built `pc` binary in `cwd`. */
export function pc(cwd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input: options.input ?? "",
    env: options.env ?? noDisplayEnv(),
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export async function readText(root: string, file: string): Promise<string> {
  return readFile(path.join(root, file), "utf8");
}

export async function readLockJson(root: string): Promise<{ prompts: Record<string, Record<string, unknown>> }> {
  return JSON.parse(await readText(root, "promptfile.lock"));
}

/** Every generation stored under .pc/generations, parsed. */
export async function storedGenerations(root: string): Promise<Array<Record<string, unknown>>> {
  const dir = path.join(root, ".pc/generations");
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })) as string[];
  } catch {
    return [];
  }
  const files = entries.filter((f) => f.endsWith(".json"));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), "utf8"))));
}

/** A fenced code block as a chat UI shows it, wrapped in the chatter chat UIs add. */
export function chatAnswer(blocks: Array<{ label?: string; lang: string; code: string }>): string {
  const parts = ["Sure! Here is the code you asked for.", ""];
  for (const b of blocks) {
    if (b.label) parts.push(`**${b.label}**`);
    parts.push(`\`\`\`${b.lang}`, b.code.trimEnd(), "```", "");
  }
  parts.push("Let me know if you want any changes.");
  return `${parts.join("\n")}\n`;
}
