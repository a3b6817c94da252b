import { promises as fsp } from "node:fs";
import path from "node:path";
import { serializeLock, emptyLock, LOCK_FILE } from "../lock/lockfile.js";
import { readIfExists, writeFileAtomic } from "../util/fs.js";

export interface InitOptions {
  cwd?: string;
}

export interface InitResult {
  created: string[];
  kept: string[];
}

export const EXAMPLE_MODEL = "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";

const EXAMPLE_PROMPT = `---
version: 1
# A served model name (llama-server, Ollama, vLLM ...), or gguf:<path> / hf:<user>/<repo>/<file>.gguf
# to run llama.cpp in-process with no server.
model: ${EXAMPLE_MODEL}
seed: 42
temperature: 0
output: generated/fizzbuzz.py
---
Write a Python 3 script that prints the numbers from 1 to 100, but "Fizz" for multiples of 3,
"Buzz" for multiples of 5 and "FizzBuzz" for multiples of both.
<%~ include("_style") %>
`;

const EXAMPLE_PARTIAL = `Use only the standard library. Start with a one-line docstring that says what the script does.
`;

/** Creates prompts/, generated/, an example prompt and an empty lock. Never overwrites a file. */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  const root = options.cwd ?? process.cwd();
  const result: InitResult = { created: [], kept: [] };
  const files: Array<[string, string]> = [
    ["prompts/fizzbuzz.md", EXAMPLE_PROMPT],
    ["prompts/_style.md", EXAMPLE_PARTIAL],
    [LOCK_FILE, serializeLock(emptyLock())],
  ];
  await fsp.mkdir(path.join(root, "generated"), { recursive: true });
  for (const [file, text] of files) {
    if ((await readIfExists(path.join(root, file))) !== undefined) {
      result.kept.push(file);
      continue;
    }
    await writeFileAtomic(path.join(root, file), text);
    result.created.push(file);
  }
  const gitignore = path.join(root, ".gitignore");
  const existing = (await readIfExists(gitignore))?.toString("utf8");
  if (!existing?.split(/\r?\n/).some((l) => l.trim() === ".pc/" || l.trim() === ".pc")) {
    const prefix = existing && !existing.endsWith("\n") ? "\n" : "";
    await fsp.appendFile(gitignore, `${prefix}# promptcode's generation cache\n.pc/\n`);
    result.created.push(".gitignore (.pc/)");
  }
  return result;
}
