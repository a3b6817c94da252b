import path from "node:path";

/**
 * Fence languages as the answer extractor reads them: which block labels name an output's own
 * language, which are neutral (no language, plain text, a word pc does not know), and which are
 * clearly another language (a known one that is not the output's, a diff, a terminal session).
 * Pure.
 */

/** How a line comment (or a one-line block comment) opens, in the order first-line labels are tried. */
const OPENERS = ["#", "//", "/*", "<!--", "--", "%", ";", "(*"] as const;
type Opener = (typeof OPENERS)[number];

const HASH: Opener[] = ["#"];
const C_LIKE: Opener[] = ["//", "/*"];
const MARKUP: Opener[] = ["<!--"];

interface Language {
  /** The names models write after a fence, the canonical one first; each is also an extension of its files. */
  names: [string, ...string[]];
  /** Its files' other extensions, with the dot. */
  extensions?: string[];
  /** Whole names (lower case) of its files that have no telling extension. */
  fileNames?: string[];
  /** How its comments open, for a first line that names the file; none: any opener is tried. */
  comments?: Opener[];
  /** Other languages whose blocks are taken for its files (a header in C or C++, TSX for TypeScript). */
  takes?: string[];
}

/** Every language pc knows. */
const LANGUAGES: Language[] = [
  { names: ["python", "py", "python3", "py3"], extensions: [".pyi"], comments: HASH },
  { names: ["javascript", "js", "node", "nodejs", "mjs", "cjs", "ecmascript"], comments: C_LIKE, takes: ["jsx"] },
  { names: ["typescript", "ts", "mts", "cts"], comments: C_LIKE, takes: ["tsx"] },
  { names: ["tsx"], comments: C_LIKE, takes: ["typescript", "jsx", "javascript"] },
  { names: ["jsx"], comments: C_LIKE, takes: ["javascript"] },
  { names: ["bash", "sh", "shell", "zsh", "ksh", "shellscript", "posix"], comments: HASH },
  { names: ["go", "golang"], comments: C_LIKE },
  { names: ["rust", "rs"], comments: C_LIKE },
  { names: ["ruby", "rb"], comments: HASH },
  { names: ["java"], comments: C_LIKE },
  { names: ["c", "h"], comments: C_LIKE, takes: ["cpp"] },
  { names: ["cpp", "c++", "cxx", "cc", "hpp", "hxx", "hh"], comments: C_LIKE, takes: ["c"] },
  { names: ["csharp", "cs", "c#"], comments: C_LIKE },
  { names: ["php"], comments: ["#", "//", "/*"] },
  { names: ["lua"], comments: ["--"] },
  { names: ["json", "jsonc", "json5"], comments: ["//"] },
  { names: ["yaml", "yml"], comments: HASH },
  { names: ["toml"], comments: HASH },
  { names: ["markdown", "md", "mdx", "gfm"], comments: MARKUP },
  { names: ["html", "htm", "xhtml"], comments: MARKUP },
  { names: ["css"], comments: ["/*"] },
  { names: ["scss", "sass"], comments: C_LIKE, takes: ["css"] },
  { names: ["less"], comments: C_LIKE },
  { names: ["sql", "postgresql", "postgres", "psql", "mysql", "sqlite", "plsql", "tsql"], comments: ["/*", "--"] },
  { names: ["swift"], comments: C_LIKE },
  { names: ["kotlin", "kt", "kts"], comments: C_LIKE },
  { names: ["r"], comments: HASH },
  { names: ["perl", "pl"], comments: HASH },
  { names: ["haskell", "hs"], comments: ["--"] },
  { names: ["xml", "svg", "xsl"], comments: MARKUP },
  { names: ["dockerfile", "docker", "containerfile"], fileNames: ["dockerfile", "containerfile"], comments: HASH },
  { names: ["makefile", "make", "mk"], fileNames: ["makefile", "gnumakefile"], comments: HASH },
  { names: ["ini", "cfg", "conf", "properties"], comments: ["#", ";"] },
  { names: ["powershell", "ps1", "pwsh"], comments: HASH },
  { names: ["batch", "bat", "cmd"] },
  { names: ["scala"], comments: C_LIKE },
  { names: ["dart"], comments: C_LIKE },
  { names: ["elixir", "ex", "exs"], comments: HASH },
  { names: ["erlang", "erl"], comments: ["%"] },
  { names: ["clojure", "clj"], comments: [";"] },
  { names: ["julia", "jl"], comments: HASH },
  { names: ["zig"], comments: ["//"] },
  { names: ["nim"], comments: HASH },
  { names: ["ocaml", "ml"], comments: ["(*"] },
  { names: ["fsharp", "fs"], comments: ["//", "(*"] },
  { names: ["vb", "vbnet"] },
  { names: ["groovy", "gradle"], comments: C_LIKE },
  { names: ["graphql", "gql"], comments: HASH },
  { names: ["proto", "protobuf"], comments: ["//"] },
  { names: ["hcl", "terraform", "tf"], comments: ["#", "//"] },
  { names: ["nix"], comments: HASH },
  { names: ["vue"], comments: ["//", "<!--"] },
  { names: ["svelte"], comments: ["//", "<!--"] },
  { names: ["latex", "tex"], comments: ["%"] },
  { names: ["csv"] },
  { names: ["asm", "nasm", "x86asm"], comments: [";"] },
  { names: ["matlab"], comments: ["%"] },
  { names: ["objectivec", "objc", "objective-c"], comments: C_LIKE },
  { names: ["solidity", "sol"], comments: C_LIKE },
  // Patches: the content of a .diff or .patch file (see NEVER_A_FILE).
  { names: ["diff"], extensions: [".patch"] },
];

/** Labels that say nothing about the language. */
const NEUTRAL = new Set(["", "text", "txt", "plaintext", "plain", "code", "none", "file", "raw", "source"]);

/** Labels of blocks that are never a file's content: patches and terminal sessions with their output. */
const NEVER_A_FILE = new Set([
  "diff",
  "patch",
  "udiff",
  "console",
  "terminal",
  "shell-session",
  "sh-session",
  "shellsession",
  "bash-session",
  "pycon",
  "ipython",
  "python-repl",
  "repl",
  "irb",
  "output",
  "stdout",
  "log",
  "tree",
]);

const PATCHES = new Set(["diff", "patch", "udiff"]);

/** Languages whose content may hold code fences of its own; their blocks get the nested-fence repair. */
const FENCE_HOLDING = new Set(["markdown"]);

/** Each language by each of its names, its files' other extensions and their whole names. */
const byName = new Map<string, Language>();
const byExtension = new Map<string, Language>();
const byFileName = new Map<string, Language>();
for (const language of LANGUAGES) {
  for (const name of language.names) byName.set(name, language);
  for (const extension of language.extensions ?? []) byExtension.set(extension, language);
  for (const fileName of language.fileNames ?? []) byFileName.set(fileName, language);
}

/** The canonical language of a fence label (`py` -> `python`), or undefined when pc does not know it. */
export function languageOfLabel(label: string): string | undefined {
  return byName.get(label.toLowerCase())?.names[0];
}

/** The canonical language of an output path, or undefined when its type says nothing pc knows. */
export function languageOfPath(file: string): string | undefined {
  const base = path.posix.basename(file).toLowerCase();
  const ext = path.posix.extname(base);
  const language = byFileName.get(base) ?? (ext ? (byExtension.get(ext) ?? byName.get(ext.slice(1))) : undefined);
  return language?.names[0];
}

export type LanguageFit = "same" | "neutral" | "other";

/**
 * How a block's fence label fits an output: `same` (the output's language), `neutral` (no label,
 * plain text, or a label pc does not know), `other` (clearly not the output's: another known
 * language, a diff, a terminal session).
 */
export function languageFit(label: string, output: string): LanguageFit {
  const word = label.toLowerCase();
  const wanted = languageOfPath(output);
  if (NEVER_A_FILE.has(word)) return wanted === "diff" && PATCHES.has(word) ? "same" : "other";
  if (NEUTRAL.has(word)) return "neutral";
  const given = languageOfLabel(word);
  // A type pc does not know: its own extension as a label is a match, anything else says nothing.
  if (wanted === undefined) return word === path.posix.extname(output).slice(1).toLowerCase() ? "same" : "neutral";
  if (given === undefined) return "neutral";
  if (given === wanted || byName.get(wanted)?.takes?.includes(given)) return "same";
  return "other";
}

/** Whether an output's content may hold code fences of its own (Markdown and the like). */
export function holdsFences(output: string): boolean {
  return FENCE_HOLDING.has(languageOfPath(output) ?? "");
}

/** Whether a fence label names a language whose content may hold fences. */
export function labelHoldsFences(label: string): boolean {
  return FENCE_HOLDING.has(languageOfLabel(label) ?? "");
}

/** The comment openers of a fence label's language; every known opener for a block with no known language. */
export function commentOpeners(label: string): string[] {
  return [...(byName.get(label.toLowerCase())?.comments ?? OPENERS)];
}
