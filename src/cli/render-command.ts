import { render, type RenderOptions } from "../commands/render.js";
import type { CliIo } from "./io.js";

/** `pc render`'s options: the library's, plus how it is printed. */
export interface RenderCommandOptions extends Pick<RenderOptions, "cwd" | "prompt"> {
  format?: string;
  /** Put the rendered prompt on the clipboard instead of printing it. */
  copy?: boolean;
}

export async function renderCommand(io: CliIo, options: RenderCommandOptions): Promise<number> {
  const result = await render({ cwd: options.cwd, prompt: options.prompt });
  const format = options.format ?? "markdown";
  const text =
    format === "json"
      ? `${JSON.stringify({ prompt: result.prompt, messages: result.messages }, null, 2)}\n`
      : result.text;
  if (!options.copy) {
    io.stdout.write(text);
    return 0;
  }
  const { approximateTokens, copyText } = await import("./clipboard.js");
  const method = await copyText(text, {
    hint: `Print it and copy it yourself instead, e.g. pc render ${result.prompt} > prompt.txt`,
    env: io.env,
    terminals: [io.stdout, io.stderr],
  });
  const size = `${text.length.toLocaleString("en-US")} characters, ~${approximateTokens(text).toLocaleString("en-US")} tokens`;
  if (method === "clipboard") {
    io.stdout.write(
      `Copied ${result.prompt} to the clipboard (${size}). Paste it into a chat, then: pc accept ${result.prompt} <answer-file>\n`,
    );
  } else {
    io.stdout.write(
      `Sent ${result.prompt} to the terminal's clipboard with an OSC 52 escape (${size}); no system clipboard here.\n` +
        `If nothing was copied, the terminal does not allow OSC 52 (tmux: set -g set-clipboard on); run pc render ${result.prompt} and copy the text.\n`,
    );
  }
  return 0;
}
