import path from "node:path";
import { PcError } from "../util/errors.js";
import { accept, type AcceptOptions, type AcceptResult } from "../commands/accept.js";
import { readIfExists } from "../util/fs.js";
import type { CliIo } from "./io.js";

/** `pc accept`'s options: the library's, plus where the answer comes from. */
export interface AcceptCommandOptions extends Pick<AcceptOptions, "cwd" | "prompt" | "label" | "force"> {
  /** The answer file (relative to cwd, the project root), "-" for stdin, or none: adopt the output on disk. */
  answerFile?: string;
  /** Read the answer from the clipboard. */
  paste?: boolean;
}

export async function acceptCommand(io: CliIo, options: AcceptCommandOptions): Promise<number> {
  const { answerFile, paste = false, ...acceptOptions } = options;
  const answer = await readAnswer(io, options, answerFile, paste);
  const result = await accept({ ...acceptOptions, answer: answer?.text, answerSource: answer?.source });
  io.stdout.write(describe(result));
  return 0;
}

async function readAnswer(
  io: CliIo,
  { prompt, cwd = "." }: AcceptCommandOptions,
  file: string | undefined,
  paste: boolean,
): Promise<{ text: string; source: string } | undefined> {
  if (paste) {
    const { pasteText } = await import("./clipboard.js");
    const hint = `Save the answer to a file and pass it (pc accept ${prompt} answer.md), or pipe it in (pc accept ${prompt} -).`;
    return { text: await pasteText({ hint, env: io.env }), source: "the clipboard" };
  }
  if (file === undefined) return undefined;
  if (file === "-") {
    if (io.stdin.isTTY) io.stderr.write("Paste the answer, then press Ctrl-D (Ctrl-Z Enter on Windows).\n");
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString("utf8"), source: "stdin" };
  }
  const bytes = await readIfExists(path.resolve(cwd, file));
  if (bytes === undefined) {
    throw new PcError("PC_FILE_UNREADABLE", `answer file "${file}" does not exist`, {
      hint: "Save the chat's answer to a file and pass its path, or use - to read it from stdin, or --paste for the clipboard.",
    });
  }
  return { text: bytes.toString("utf8"), source: file };
}

function describe(r: AcceptResult): string {
  const outputs = Object.keys(r.outputs).join(", ");
  const lines: string[] = [];
  if (r.source === "chat" && r.recorded) {
    const from = r.label ? ` from ${r.label}` : "";
    const wrote = r.written.length ? `wrote ${r.written.join(", ")}` : `${outputs} already had these bytes`;
    lines.push(
      `Accepted the chat answer${from} for ${r.prompt}: ${wrote}; recorded as source "chat" in promptfile.lock.`,
    );
  } else if (!r.recorded) {
    lines.push(
      `${r.prompt} is already fresh: ${outputs} recorded as source "${r.source}"${r.label ? ` (${r.label})` : ""}; nothing changed.`,
    );
  } else {
    const was = r.previousSource && r.previousSource !== "hand" ? ` (was "${r.previousSource}")` : "";
    lines.push(
      `Adopted ${outputs} as kept by hand for ${r.prompt}: recorded as source "hand"${was} in promptfile.lock.`,
    );
  }
  if (r.dependents.length)
    lines.push(`These prompts read its outputs and need a build: ${r.dependents.join(", ")} (pc build).`);
  return `${lines.join("\n")}\n`;
}
