/**
 * Errors of promptcode. A `PcError` is the user's to fix: it carries a stable code, is shown
 * without a stack, and says what went wrong, where, and how to fix it. Anything else that escapes
 * is an internal error and is shown with its stack.
 */
export type PcErrorCode =
  | "PC_USAGE"
  | "PC_CONFIG_INVALID"
  | "PC_NOT_A_PROJECT"
  | "PC_FRONTMATTER_INVALID"
  | "PC_FRONTMATTER_JS"
  | "PC_TEMPLATE_ERROR"
  | "PC_PATH_OUTSIDE_PROJECT"
  | "PC_FILE_UNREADABLE"
  | "PC_CONTEXT_EMPTY"
  | "PC_PROMPT_NOT_FOUND"
  | "PC_GRAPH_CYCLE"
  | "PC_OUTPUT_CONFLICT"
  | "PC_LOCK_INVALID"
  | "PC_LOCK_CONFLICT"
  | "PC_LOCK_VERSION"
  | "PC_PROJECT_BUSY"
  | "PC_ENGINE_UNREACHABLE"
  | "PC_ENGINE_AUTH"
  | "PC_MODEL_NOT_FOUND"
  | "PC_MODEL_LOADING"
  | "PC_MODEL_INVALID"
  | "PC_CONTEXT_EXCEEDED"
  | "PC_SAMPLER_UNSUPPORTED"
  | "PC_ENGINE_ERROR"
  | "PC_ENGINE_TIMEOUT"
  | "PC_EMBEDDED_UNAVAILABLE"
  | "PC_ANSWER_NO_CODE"
  | "PC_ANSWER_AMBIGUOUS"
  | "PC_ANSWER_TRUNCATED"
  | "PC_ANSWER_EMPTY"
  | "PC_FORMAT_CONFIG"
  | "PC_OUTPUT_DRIFTED"
  | "PC_OUTPUT_MISSING"
  | "PC_CHECK_FAILED"
  | "PC_WRITE_FAILED"
  | "PC_SECRET_REFUSED"
  | "PC_INTERNAL"
  | "PC_OFFLINE"
  | "PC_CLIPBOARD_UNAVAILABLE"
  | "PC_WATCH_FAILED"
  | "PC_ABORTED";

export interface PcErrorDetails {
  /** The file the problem is in, posix path relative to the project root where possible. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** The frontmatter or config key concerned. */
  key?: string;
  /** How to fix it, including a short valid example where one helps. */
  hint?: string;
  /** Whether retrying the same operation may succeed (engine errors). */
  retryable?: boolean;
  cause?: unknown;
}

export class PcError extends Error {
  readonly code: PcErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  readonly hint?: string;
  readonly retryable: boolean;

  constructor(code: PcErrorCode, message: string, details: PcErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "PcError";
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.key = details.key;
    this.hint = details.hint;
    this.retryable = details.retryable ?? false;
  }

  /** `file:line` (or just the file) where the problem is, if known. */
  get where(): string | undefined {
    if (!this.file) return undefined;
    return this.line ? `${this.file}:${this.line}` : this.file;
  }

  /** The full human message: where, what, and how to fix it. */
  format(): string {
    const where = this.where;
    const head = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  ${this.hint.split("\n").join("\n  ")}` : head;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      file: this.file,
      line: this.line,
      key: this.key,
      hint: this.hint,
    };
  }
}

export function isPcError(error: unknown): error is PcError {
  return error instanceof PcError;
}

/** Shortens text found in user input for inclusion in a message. */
export function excerpt(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/**
 * Any error as a PcError: a PcError stays as it is; anything else becomes one with `code` and the
 * details given, its message (after `prefix`) kept and the original chained as the cause. Used
 * wherever an unknown error is reported to the user.
 */
export function toPcError(
  error: unknown,
  code: PcErrorCode,
  details: Omit<PcErrorDetails, "cause"> & { prefix?: string } = {},
): PcError {
  if (error instanceof PcError) return error;
  const { prefix = "", ...rest } = details;
  const message = error instanceof Error ? error.message : String(error);
  return new PcError(code, `${prefix}${message}`, { ...rest, cause: error });
}

/** Error codes of a write that fails for a reason outside pc: permissions, a read-only or full disk. */
const WRITE_TROUBLE = new Set(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EFBIG", "EIO"]);

export function isWriteTrouble(error: unknown): boolean {
  return WRITE_TROUBLE.has((error as NodeJS.ErrnoException)?.code ?? "");
}

/**
 * PC_WRITE_FAILED for `what` (e.g. "cannot write its outputs") with the fix for the usual causes;
 * `unchanged` says what was kept as it was.
 */
export function writeFailure(
  what: string,
  error: unknown,
  details: { file?: string; unchanged?: string } = {},
): PcError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const unchanged = details.unchanged ?? "The previous outputs and the lock are unchanged.";
  const lower = `${unchanged.slice(0, 1).toLowerCase()}${unchanged.slice(1)}`;
  const hint =
    code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? `Make the folder writable; ${lower}`
      : code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG"
        ? `Free some disk space; ${lower}`
        : unchanged;
  return new PcError("PC_WRITE_FAILED", `${what}: ${(error as Error)?.message ?? String(error)}`, {
    file: details.file,
    hint,
    cause: error,
  });
}

/**
 * The error of one prompt as that prompt's failure: pc's own errors as they are, a failed write as
 * PC_WRITE_FAILED, another file system error as PC_FILE_UNREADABLE, and anything else as
 * PC_INTERNAL (a bug of pc, reported for this prompt alone while the others build).
 */
export function promptFailure(error: unknown, prompt: string): PcError {
  if (error instanceof PcError) return error;
  if (isWriteTrouble(error)) return writeFailure("cannot write", error, { file: prompt });
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return new PcError("PC_FILE_UNREADABLE", `a file of this prompt cannot be used: ${message}`, {
      file: prompt,
      hint: "Check the prompt's outputs and context files.",
      cause: error,
    });
  }
  return new PcError("PC_INTERNAL", `internal error while building this prompt: ${message}`, {
    file: prompt,
    hint: "This is a bug of pc: please report it with this message. The other prompts were built.",
    cause: error,
  });
}
