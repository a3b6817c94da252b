// Temp projects for integration and end-to-end tests: an inline file tree written to a fresh folder,
// prompt files written from a frontmatter object, and snapshots of every file to prove byte-identity.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TempProject {
  root: string;
  write(relative: string, text: string): Promise<void>;
  read(relative: string): Promise<string>;
  /** The parsed promptfile.lock. */
  lock(): Promise<LockJson>;
  /** Every file of the project except .pc/, path -> bytes as text. */
  snapshot(): Promise<Record<string, string>>;
  remove(): Promise<void>;
}

export interface LockJson {
  lockfileVersion: number;
  prompts: Record<string, Record<string, any> & { outputs: Record<string, string>; inputs: Record<string, string> }>;
}

const made: string[] = [];

/** Writes `files` (posix path -> text) into a new temp folder. */
export async function makeProject(files: Record<string, string>, prefix = "pc-build-"): Promise<TempProject> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(root);
  const write = async (relative: string, text: string) => {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  };
  for (const [relative, text] of Object.entries(files)) await write(relative, text);
  const read = (relative: string) => readFile(path.join(root, relative), "utf8");
  return {
    root,
    write,
    read,
    lock: async () => JSON.parse(await read("promptfile.lock")) as LockJson,
    snapshot: () => snapshot(root),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Removes every project made so far (call in afterAll). */
export async function removeProjects(): Promise<void> {
  await Promise.all(made.splice(0).map((root) => rm(root, { recursive: true, force: true })));
}

async function snapshot(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const relative = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
    if (relative.startsWith(".pc/")) continue;
    files[relative] = await readFile(path.join(root, relative), "utf8");
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface PromptSpec {
  output?: string;
  outputs?: string[];
  context?: string[];
  model?: string;
  seed?: number;
  temperature?: number;
  version?: number;
  [key: string]: unknown;
}

/** A prompt file: YAML frontmatter (model test-model, seed 42, temperature 0 unless given), then the body. */
export function promptFile(spec: PromptSpec, body = "Write the file."): string {
  const frontmatter = { version: 1, model: "test-model", seed: 42, temperature: 0, ...spec };
  const yaml = Object.entries(frontmatter)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join("\n");
  return `---\n${yaml}\n---\n${body}\n`;
}
