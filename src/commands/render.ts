import path from "node:path";
import { PcError } from "../util/errors.js";
import type { ChatMessage } from "../engine/types.js";
import { parsePrompt } from "../prompt/frontmatter.js";
import { messagesAsText } from "../prompt/protocol.js";
import { renderPrompt } from "../prompt/render-prompt.js";
import { readIfExists, sha256, toPosix } from "../util/fs.js";

export interface RenderOptions {
  cwd?: string;
  /** The prompt file, relative to cwd. */
  prompt: string;
}

export interface RenderResult {
  prompt: string;
  messages: ChatMessage[];
  /** The messages as one self-contained text, ready to paste into a chat UI. */
  text: string;
  inputs: Record<string, string>;
}

/** Renders one prompt exactly as the model receives it. Makes no request. */
export async function render(options: RenderOptions): Promise<RenderResult> {
  const root = options.cwd ?? process.cwd();
  const prompt = toPosix(path.relative(root, path.resolve(root, options.prompt)));
  const bytes = await readIfExists(path.join(root, prompt));
  if (!bytes) {
    throw new PcError("PC_PROMPT_NOT_FOUND", `prompt "${options.prompt}" does not exist`, {
      hint: "Give the path of a prompt file, e.g. pc render prompts/hello.md",
    });
  }
  const parsed = parsePrompt(prompt, bytes.toString("utf8"));
  const rendered = renderPrompt(root, parsed, sha256(bytes));
  return { prompt, messages: rendered.messages, text: messagesAsText(rendered.messages), inputs: rendered.inputs };
}
