// Writes the tiny GGUF model that prompts/tiny-sample.md runs on the embedded engine
// (models/tiny.gguf, made by test/support/tiny-gguf.ts from a fixed seed: the same bytes on every
// machine, as its hash in promptfile.lock says). `npm test` runs this before `pc verify`.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeTinyModelSync } from "../test/support/tiny-gguf.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = path.join(root, "models/tiny.gguf");
mkdirSync(path.dirname(file), { recursive: true });
writeTinyModelSync(file, { seed: 1 });
