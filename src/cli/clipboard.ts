import { PcError } from "../util/errors.js";
import type { OutputStream } from "./io.js";

/** Where copied text went: the system clipboard, or an OSC 52 escape sent to the terminal. */
export type CopyMethod = "clipboard" | "osc52";

export interface ClipboardOptions {
  /** How else to get the text across when there is no clipboard; shown with the error. */
  hint?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Streams an OSC 52 escape may be written to (the first one that is a TTY). */
  terminals?: OutputStream[];
}

/**
 * Whether a system clipboard can exist at all. On Linux the clipboard belongs to a display server:
 * without DISPLAY or WAYLAND_DISPLAY (a console, SSH without X forwarding, CI) there is none, and
 * spawning xsel only to watch it fail would hide the real reason.
 */
export function systemClipboardReason(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const wsl = Boolean(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
  if (platform === "linux" && !wsl && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return env.SSH_CONNECTION || env.SSH_TTY
      ? "this is an SSH session with no DISPLAY"
      : "neither DISPLAY nor WAYLAND_DISPLAY is set";
  }
  return undefined;
}

/** The OSC 52 escape that asks the terminal to put `text` on its clipboard. Pure. */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
}

/**
 * Copies text: to the system clipboard (clipboardy) when one exists, else as an OSC 52 escape to
 * the terminal, which most modern terminals (and tmux with set-clipboard on) put on the clipboard
 * of the machine the user sits at, even over SSH. Throws PC_CLIPBOARD_UNAVAILABLE when neither works.
 */
export async function copyText(text: string, options: ClipboardOptions = {}): Promise<CopyMethod> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const terminals = options.terminals ?? [process.stdout, process.stderr];
  let why = systemClipboardReason(env, platform);
  if (!why) {
    try {
      const { default: clipboard } = await import("clipboardy");
      await clipboard.write(text);
      return "clipboard";
    } catch (error) {
      why = `the system clipboard failed (${helperError(error)})`;
    }
  }
  const terminal = terminals.find((s) => s.isTTY);
  if (terminal) {
    terminal.write(osc52(text));
    return "osc52";
  }
  throw new PcError(
    "PC_CLIPBOARD_UNAVAILABLE",
    `cannot copy: no clipboard is available (${why}) and there is no terminal to send an OSC 52 escape to`,
    {
      hint: options.hint,
    },
  );
}

/** Reads the system clipboard. Throws PC_CLIPBOARD_UNAVAILABLE, with another way in, when there is none. */
export async function pasteText(options: ClipboardOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const unavailable = (why: string, cause?: unknown) =>
    new PcError("PC_CLIPBOARD_UNAVAILABLE", `cannot read the clipboard: ${why}`, {
      hint: options.hint,
      cause,
    });
  const why = systemClipboardReason(env, platform);
  if (why) throw unavailable(why);
  try {
    const { default: clipboard } = await import("clipboardy");
    return await clipboard.read();
  } catch (error) {
    throw unavailable(`the system clipboard failed (${helperError(error)})`, error);
  }
}

/** The helper's own complaint (clipboardy wraps xsel's stderr), shortened for a message. */
function helperError(error: unknown): string {
  const e = error as { message?: string; xselError?: { stderr?: string }; fallbackError?: { stderr?: string } };
  const detail = e.fallbackError?.stderr?.trim() || e.xselError?.stderr?.trim() || e.message || String(error);
  return detail
    .replace(/^\S*\/([\w-]+):/, "$1:")
    .replace(/\s+/g, " ")
    .slice(0, 160);
}

/** A rough token count for a size hint: about 4 characters per token for English and code. */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
