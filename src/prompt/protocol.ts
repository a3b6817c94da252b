import path from "node:path";
import type { ChatMessage } from "../engine/types.js";

/**
 * The answer protocol: the instructions pc adds around a prompt. Its version is part of every
 * input hash, so changing the wording here makes every prompt stale.
 */
export const PROTOCOL_VERSION = 1;

const SYSTEM = [
  "You are a code generator in a build system. Each answer is saved as source files without any human edit.",
  'Write complete, working files: no placeholders, no omitted parts, no "rest unchanged" notes.',
].join("\n");

const LANGUAGES: Record<string, string> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".ts": "typescript",
  ".tsx": "tsx",
  ".jsx": "jsx",
  ".sh": "bash",
  ".bash": "bash",
  ".go": "go",
  ".rs": "rust",
  ".rb": "ruby",
  ".java": "java",
  ".c": "c",
  ".h": "c",
  ".cpp": "cpp",
  ".cs": "csharp",
  ".php": "php",
  ".lua": "lua",
  ".json": "json",
  ".yaml": "yaml",
  ".yml": "yaml",
  ".toml": "toml",
  ".md": "markdown",
  ".html": "html",
  ".css": "css",
  ".sql": "sql",
  ".swift": "swift",
  ".kt": "kotlin",
  ".r": "r",
  ".pl": "perl",
};

export function languageOf(file: string): string {
  return LANGUAGES[path.extname(file).toLowerCase()] ?? "";
}

/** A fence longer than any backtick run inside `text`, so inlined files cannot close it. */
export function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

export interface ContextFile {
  path: string;
  text: string;
}

export interface ProtocolInput {
  body: string;
  system?: string;
  context: ContextFile[];
  outputs: string[];
  extract: "fenced" | "raw";
}

/** Builds the messages exactly as an engine (or a chat UI) receives them. Pure. */
export function buildMessages(input: ProtocolInput): ChatMessage[] {
  const system = input.system ? `${SYSTEM}\n\n${input.system.trim()}` : SYSTEM;
  const parts = [input.body.trim()];
  if (input.context.length > 0) {
    parts.push("## Context files");
    for (const file of input.context) {
      const fence = fenceFor(file.text);
      const text = file.text.endsWith("\n") ? file.text : `${file.text}\n`;
      parts.push(`${file.path}\n${fence}${languageOf(file.path)}\n${text}${fence}`);
    }
  }
  parts.push("## Output", outputContract(input.outputs, input.extract));
  return [
    { role: "system", content: system },
    { role: "user", content: `${parts.join("\n\n")}\n` },
  ];
}

function outputContract(outputs: string[], extract: "fenced" | "raw"): string {
  if (extract === "raw") {
    return `Reply with the complete contents of \`${outputs[0]}\` and nothing else: no code fence, no commentary.`;
  }
  if (outputs.length === 1) {
    const lang = languageOf(outputs[0]);
    if (holdsFences(outputs[0])) {
      return `Reply with the complete file \`${outputs[0]}\` in one code block fenced with four backticks (\`\`\`\`${lang} ... \`\`\`\`), so the code blocks inside the file keep their own three-backtick fences.`;
    }
    return `Reply with the complete file \`${outputs[0]}\` in one fenced code block (\`\`\`${lang} ... \`\`\`).`;
  }
  const list = outputs.map((o) => `- ${o}`).join("\n");
  const fence = outerFence(outputs[0]);
  return [
    `Reply with the complete contents of each of these ${outputs.length} files:`,
    list,
    "For each file, write its path alone on a line, then the file in a fenced code block on the next lines, e.g.:",
    `${outputs[0]}\n${fence}${languageOf(outputs[0])}\n...\n${fence}`,
    ...longFenceNote(outputs),
  ].join("\n");
}

/**
 * Markdown files hold code fences of their own, so their block is asked for with four backticks:
 * a three-backtick fence inside the file then cannot end the block. Only prompts with such an
 * output get this wording (and so a new input hash).
 */
function holdsFences(output: string): boolean {
  return languageOf(output) === "markdown" || /\.(markdown|mdx)$/i.test(output);
}

function outerFence(output: string): string {
  return holdsFences(output) ? "````" : "```";
}

function longFenceNote(outputs: string[]): string[] {
  const markdown = outputs.filter(holdsFences);
  if (markdown.length === 0) return [];
  return [
    `Fence ${markdown.join(", ")} with four backticks (\`\`\`\`markdown), so the code blocks inside keep their own three-backtick fences.`,
  ];
}

/** The messages as one text, for pasting into a chat UI. */
export function messagesAsText(messages: ChatMessage[]): string {
  return messages.map((m) => m.content.trimEnd()).join("\n\n") + "\n";
}
