import path from "node:path";

/**
 * Fence languages as the answer extractor reads them: which block labels name an output's own
 * language, which are neutral (no language, plain text, a word pc does not know), and which are
 * clearly another language (a known one that is not the output's, a diff, a terminal session).
 * Pure.
 */

/** Each language's names as models write them after a fence; the first is the canonical one. */
const ALIASES: Array<[string, ...string[]]> = [
  ["python", "py", "python3", "py3"],
  ["javascript", "js", "node", "nodejs", "mjs", "cjs", "ecmascript"],
  ["typescript", "ts", "mts", "cts"],
  ["tsx"],
  ["jsx"],
  ["bash", "sh", "shell", "zsh", "ksh", "shellscript", "posix"],
  ["go", "golang"],
  ["rust", "rs"],
  ["ruby", "rb"],
  ["java"],
  ["c", "h"],
  ["cpp", "c++", "cxx", "cc", "hpp", "hxx", "hh"],
  ["csharp", "cs", "c#"],
  ["php"],
  ["lua"],
  ["json", "jsonc", "json5"],
  ["yaml", "yml"],
  ["toml"],
  ["markdown", "md", "mdx", "gfm"],
  ["html", "htm", "xhtml"],
  ["css"],
  ["scss", "sass"],
  ["less"],
  ["sql", "postgresql", "postgres", "psql", "mysql", "sqlite", "plsql", "tsql"],
  ["swift"],
  ["kotlin", "kt", "kts"],
  ["r"],
  ["perl", "pl"],
  ["haskell", "hs"],
  ["xml", "svg", "xsl"],
  ["dockerfile", "docker", "containerfile"],
  ["makefile", "make", "mk"],
  ["ini", "cfg", "conf", "properties"],
  ["powershell", "ps1", "pwsh"],
  ["batch", "bat", "cmd"],
  ["scala"],
  ["dart"],
  ["elixir", "ex", "exs"],
  ["erlang", "erl"],
  ["clojure", "clj"],
  ["julia", "jl"],
  ["zig"],
  ["nim"],
  ["ocaml", "ml"],
  ["fsharp", "fs"],
  ["vb", "vbnet"],
  ["groovy", "gradle"],
  ["graphql", "gql"],
  ["proto", "protobuf"],
  ["hcl", "terraform", "tf"],
  ["nix"],
  ["vue"],
  ["svelte"],
  ["latex", "tex"],
  ["csv"],
  ["asm", "nasm", "x86asm"],
  ["matlab"],
  ["objectivec", "objc", "objective-c"],
  ["solidity", "sol"],
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

/** By file extension (lower case, with the dot), where it differs from the canonical name's alias list. */
const EXTENSIONS: Record<string, string> = {
  ".pyi": "python",
  ".cts": "typescript",
  ".mts": "typescript",
  ".zsh": "bash",
  ".hpp": "cpp",
  ".cc": "cpp",
  ".markdown": "markdown",
  ".mdx": "markdown",
  ".htm": "html",
  ".svg": "xml",
  ".kts": "kotlin",
  ".jsonc": "json",
  ".json5": "json",
  ".cfg": "ini",
  ".conf": "ini",
  ".ps1": "powershell",
  ".bat": "batch",
  ".cmd": "batch",
  ".tf": "hcl",
  ".diff": "diff",
  ".patch": "diff",
};
/** By whole file name, for files without a telling extension. */
const FILE_NAMES: Record<string, string> = {
  dockerfile: "dockerfile",
  containerfile: "dockerfile",
  makefile: "makefile",
  gnumakefile: "makefile",
};

const canonical = new Map<string, string>();
for (const names of ALIASES) for (const name of names) canonical.set(name, names[0]);

/** The canonical language of a fence label (`py` -> `python`), or undefined when pc does not know it. */
export function languageOfLabel(label: string): string | undefined {
  return canonical.get(label.toLowerCase());
}

/** The canonical language of an output path, or undefined when its type says nothing pc knows. */
export function languageOfPath(file: string): string | undefined {
  const base = path.posix.basename(file).toLowerCase();
  if (Object.hasOwn(FILE_NAMES, base)) return FILE_NAMES[base];
  const ext = path.posix.extname(base);
  if (!ext) return undefined;
  if (Object.hasOwn(EXTENSIONS, ext)) return EXTENSIONS[ext];
  return canonical.get(ext.slice(1));
}

/** Languages whose blocks are taken for each other's files (a header in C or C++, TSX for TypeScript). */
const COMPATIBLE: Record<string, string[]> = {
  c: ["cpp"],
  cpp: ["c"],
  typescript: ["tsx"],
  tsx: ["typescript", "jsx", "javascript"],
  jsx: ["javascript"],
  javascript: ["jsx"],
  scss: ["css"],
};

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
  const given = canonical.get(word);
  // A type pc does not know: its own extension as a label is a match, anything else says nothing.
  if (wanted === undefined) return word === path.posix.extname(output).slice(1).toLowerCase() ? "same" : "neutral";
  if (given === undefined) return "neutral";
  if (given === wanted || COMPATIBLE[wanted]?.includes(given)) return "same";
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

/** How a line comment (or a one-line block comment) opens in each language, for first-line path labels. */
const COMMENTS: Record<string, string[]> = {
  "#": [
    "python",
    "bash",
    "ruby",
    "perl",
    "r",
    "yaml",
    "toml",
    "dockerfile",
    "makefile",
    "powershell",
    "elixir",
    "nim",
    "julia",
    "graphql",
    "ini",
    "hcl",
    "php",
    "nix",
  ],
  "//": [
    "javascript",
    "typescript",
    "tsx",
    "jsx",
    "go",
    "rust",
    "java",
    "c",
    "cpp",
    "csharp",
    "php",
    "swift",
    "kotlin",
    "scala",
    "dart",
    "groovy",
    "zig",
    "proto",
    "solidity",
    "scss",
    "less",
    "json",
    "hcl",
    "objectivec",
    "fsharp",
    "vue",
    "svelte",
  ],
  "/*": [
    "javascript",
    "typescript",
    "tsx",
    "jsx",
    "go",
    "rust",
    "java",
    "c",
    "cpp",
    "csharp",
    "php",
    "swift",
    "kotlin",
    "scala",
    "dart",
    "groovy",
    "css",
    "scss",
    "less",
    "sql",
    "objectivec",
    "solidity",
  ],
  "<!--": ["html", "xml", "markdown", "vue", "svelte"],
  "--": ["sql", "lua", "haskell"],
  "%": ["latex", "matlab", "erlang"],
  ";": ["ini", "clojure", "asm"],
  "(*": ["ocaml", "fsharp"],
};

/** The comment openers of a fence label's language; every known opener for a block with no known language. */
export function commentOpeners(label: string): string[] {
  const language = languageOfLabel(label);
  const all = Object.keys(COMMENTS);
  if (language === undefined) return all;
  const own = Object.entries(COMMENTS)
    .filter(([, languages]) => languages.includes(language))
    .map(([opener]) => opener);
  return own.length > 0 ? own : all;
}
