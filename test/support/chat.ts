// What the chat round-trip tests (pc render / pc accept) read and write: the generations pc
// stored, and answers as chat UIs format them.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

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
