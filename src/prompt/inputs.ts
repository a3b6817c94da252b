import { readFileSync } from "node:fs";
import { PcError } from "../util/errors.js";
import { resolveInside, sha256 } from "../util/fs.js";

/**
 * Reads project files on behalf of one prompt and records each as an input (path -> sha256), so
 * every byte the model sees is covered by the prompt's input hash.
 */
export class InputRecorder {
  readonly inputs = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly prompt: string,
    /**
     * Files already read, path -> text and hash; shared by the prompts rendered in one run, which
     * mostly read the same partials and context files.
     */
    private readonly texts: Map<string, FileText> = new Map(),
  ) {}

  /** Reads a project file as UTF-8 text; refuses paths outside the project and binary files. */
  readText(relative: string, what: string, key?: string): string {
    const cached = this.texts.get(relative);
    if (cached !== undefined) {
      this.inputs.set(relative, cached.hash);
      return cached.text;
    }
    const bytes = this.readBytes(relative, what, key);
    const text = decodeText(bytes);
    if (text === undefined) {
      throw new PcError("PC_FILE_UNREADABLE", `${what} "${relative}" is binary or not UTF-8 text`, {
        file: this.prompt,
        key,
        hint: "Only text files can be shown to the model; remove it from the prompt's context.",
      });
    }
    const hash = sha256(bytes);
    this.inputs.set(relative, hash);
    this.texts.set(relative, { text, hash });
    return text;
  }

  private readBytes(relative: string, what: string, key?: string): Buffer {
    const absolute = resolveInside(this.root, relative, { file: this.prompt, key, what });
    try {
      return readFileSync(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new PcError(
        "PC_FILE_UNREADABLE",
        code === "ENOENT" ? `${what} "${relative}" does not exist` : `${what} "${relative}" cannot be read (${code})`,
        { file: this.prompt, key, hint: "Paths are relative to the project root; check the spelling.", cause: error },
      );
    }
  }

  /** Hashes a project file of any content (a check's input: never shown to the model) and records it. */
  hashFile(relative: string, what: string, key?: string): string {
    const cached = this.texts.get(relative);
    if (cached !== undefined) {
      this.inputs.set(relative, cached.hash);
      return cached.hash;
    }
    const hash = sha256(this.readBytes(relative, what, key));
    this.inputs.set(relative, hash);
    return hash;
  }

  /** The recorded inputs, sorted by path. */
  sortedInputs(): Record<string, string> {
    return Object.fromEntries([...this.inputs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** A project file as a prompt reads it: decoded text, and the sha256 of its bytes. */
export interface FileText {
  text: string;
  hash: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 text without BOM and with LF line endings, or undefined for binary / invalid UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8
      .decode(bytes)
      .replace(/^\uFEFF/, "")
      .replace(/\r\n?/g, "\n");
  } catch {
    return undefined;
  }
}
