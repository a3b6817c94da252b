// The answer corpus (test/fixtures/answers/), one case per folder: case.json (outputs, extract,
// expected error), answer.md (the answer as given), expected/ (the files), reasoning.txt (reasoning
// the server sends apart from the content, in reasoning_content).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { REPO } from "./pc.js";

const CORPUS = path.join(REPO, "test/fixtures/answers");

export interface AnswerCase {
  name: string;
  family: string;
  shape: string;
  outputs: string[];
  extract?: "fenced" | "raw";
  /** The error code the answer must give; without it, `files` holds the files it must give. */
  error?: string;
  answer: string;
  reasoning?: string;
  files: Record<string, string>;
}

export function loadCorpus(): AnswerCase[] {
  return readdirSync(CORPUS)
    .sort()
    .map((name) => {
      const dir = path.join(CORPUS, name);
      const meta = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"));
      const read = (file: string) =>
        existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), "utf8") : undefined;
      const files = meta.error ? {} : Object.fromEntries(meta.outputs.map((o: string) => [o, read(`expected/${o}`)]));
      return { name, ...meta, answer: read("answer.md")!, reasoning: read("reasoning.txt"), files };
    });
}
