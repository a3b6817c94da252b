// Which fence labels the extractor takes for an output's own language, which say nothing, and which
// are clearly another language: the names models write after a fence, language by language.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { commentOpeners, holdsFences, labelHoldsFences, languageFit } from "../../src/answer/languages.js";

/** A file of each language, and every label models write for that language. */
const LABELS: Array<[string, string[]]> = [
  ["a.py", ["python", "py", "python3", "py3", "PYTHON"]],
  ["a.js", ["javascript", "js", "node", "nodejs", "mjs", "cjs", "ecmascript", "jsx"]],
  ["a.ts", ["typescript", "ts", "mts", "cts", "tsx"]],
  ["a.tsx", ["tsx", "typescript", "jsx", "javascript"]],
  ["a.jsx", ["jsx", "javascript"]],
  ["a.sh", ["bash", "sh", "shell", "zsh", "ksh", "shellscript", "posix"]],
  ["a.go", ["go", "golang"]],
  ["a.rs", ["rust", "rs"]],
  ["a.rb", ["ruby", "rb"]],
  ["A.java", ["java"]],
  ["a.c", ["c", "h", "cpp"]],
  ["a.cpp", ["cpp", "c++", "cxx", "cc", "hpp", "hxx", "hh", "c"]],
  ["a.cs", ["csharp", "cs", "c#"]],
  ["a.php", ["php"]],
  ["a.lua", ["lua"]],
  ["a.json", ["json", "jsonc", "json5"]],
  ["a.yaml", ["yaml", "yml"]],
  ["a.toml", ["toml"]],
  ["a.md", ["markdown", "md", "mdx", "gfm"]],
  ["a.html", ["html", "htm", "xhtml"]],
  ["a.css", ["css"]],
  ["a.scss", ["scss", "sass", "css"]],
  ["a.less", ["less"]],
  ["a.sql", ["sql", "postgresql", "postgres", "psql", "mysql", "sqlite", "plsql", "tsql"]],
  ["a.swift", ["swift"]],
  ["a.kt", ["kotlin", "kt", "kts"]],
  ["a.r", ["r"]],
  ["a.pl", ["perl", "pl"]],
  ["a.hs", ["haskell", "hs"]],
  ["a.xml", ["xml", "svg", "xsl"]],
  ["Dockerfile", ["dockerfile", "docker", "containerfile"]],
  ["Makefile", ["makefile", "make", "mk"]],
  ["a.ini", ["ini", "cfg", "conf", "properties"]],
  ["a.ps1", ["powershell", "ps1", "pwsh"]],
  ["a.bat", ["batch", "bat", "cmd"]],
  ["a.scala", ["scala"]],
  ["a.dart", ["dart"]],
  ["a.ex", ["elixir", "ex", "exs"]],
  ["a.erl", ["erlang", "erl"]],
  ["a.clj", ["clojure", "clj"]],
  ["a.jl", ["julia", "jl"]],
  ["a.zig", ["zig"]],
  ["a.nim", ["nim"]],
  ["a.ml", ["ocaml", "ml"]],
  ["a.fs", ["fsharp", "fs"]],
  ["a.vb", ["vb", "vbnet"]],
  ["a.groovy", ["groovy", "gradle"]],
  ["a.graphql", ["graphql", "gql"]],
  ["a.proto", ["proto", "protobuf"]],
  ["a.hcl", ["hcl", "terraform", "tf"]],
  ["a.nix", ["nix"]],
  ["a.vue", ["vue"]],
  ["a.svelte", ["svelte"]],
  ["a.tex", ["latex", "tex"]],
  ["a.csv", ["csv"]],
  ["a.asm", ["asm", "nasm", "x86asm"]],
  ["a.matlab", ["matlab"]],
  ["a.objc", ["objectivec", "objc", "objective-c"]],
  ["a.sol", ["solidity", "sol"]],
];

/** Files whose extension or name is not the language's own name. */
const FILES: Array<[string, string]> = [
  ["a.pyi", "python"],
  ["a.cts", "typescript"],
  ["a.mts", "typescript"],
  ["a.zsh", "bash"],
  ["a.hpp", "cpp"],
  ["a.cc", "cpp"],
  ["README.markdown", "markdown"],
  ["a.mdx", "markdown"],
  ["a.htm", "html"],
  ["a.svg", "xml"],
  ["build.gradle.kts", "kotlin"],
  ["a.jsonc", "json"],
  ["a.json5", "json"],
  ["setup.cfg", "ini"],
  ["app.conf", "ini"],
  ["a.ps1", "powershell"],
  ["a.bat", "batch"],
  ["a.cmd", "batch"],
  ["main.tf", "hcl"],
  ["docker/Containerfile", "dockerfile"],
  ["GNUmakefile", "makefile"],
  ["a.h", "c"],
  ["a.mjs", "javascript"],
  ["a.yml", "yaml"],
];

describe("fence labels", () => {
  it.each(LABELS)("every name models write for the language of %s is its own language", (file, labels) => {
    for (const label of labels) expect(languageFit(label, file), label).toBe("same");
  });

  it.each(FILES)("%s is a %s file", (file, language) => {
    expect(languageFit(language, file)).toBe("same");
    expect(languageFit(language === "python" ? "ruby" : "python", file)).toBe("other");
  });

  it("a known language that is not the output's is clearly another file, even a close one", () => {
    for (const [label, file] of [
      ["javascript", "a.ts"],
      ["typescript", "a.js"],
      ["css", "a.less"],
      ["scss", "a.css"],
      ["java", "a.kt"],
      ["json", "a.yaml"],
      ["c", "a.cs"],
      ["bash", "a.ps1"],
    ]) {
      expect(languageFit(label!, file!), `${label} for ${file}`).toBe("other");
    }
  });

  it("a label that says nothing about the language is neutral, whatever the output", () => {
    for (const label of ["", "text", "txt", "plaintext", "plain", "code", "none", "file", "raw", "source", "Text"]) {
      expect(languageFit(label, "a.py"), label).toBe("neutral");
      expect(languageFit(label, "etc/app.vhost"), label).toBe("neutral");
    }
    expect(languageFit("brainfuck", "a.py")).toBe("neutral");
  });

  it("patches and terminal sessions are never a file's content; a patch is the content of a .diff or .patch", () => {
    const never = ["diff", "patch", "udiff", "console", "terminal", "shell-session", "sh-session", "shellsession"];
    never.push("bash-session", "pycon", "ipython", "python-repl", "repl", "irb", "output", "stdout", "log", "tree");
    for (const label of never) {
      expect(languageFit(label, "a.py"), label).toBe("other");
      expect(languageFit(label, "notes.txt"), label).toBe("other");
    }
    for (const label of ["diff", "patch", "udiff"]) {
      expect(languageFit(label, "fix.diff"), label).toBe("same");
      expect(languageFit(label, "fix.patch"), label).toBe("same");
    }
    expect(languageFit("console", "fix.diff")).toBe("other");
  });

  it("only Markdown holds fences of its own", () => {
    for (const file of ["a.md", "README.markdown", "a.mdx"]) expect(holdsFences(file), file).toBe(true);
    for (const file of ["a.py", "a.txt", "a.html", "README"]) expect(holdsFences(file), file).toBe(false);
    for (const label of ["markdown", "md", "gfm"]) expect(labelHoldsFences(label), label).toBe(true);
    for (const label of ["", "text", "python", "html"]) expect(labelHoldsFences(label), label).toBe(false);
  });
});

describe("a first line naming the file", () => {
  /** Each language's comment openers, as the extractor reads a first-line path label. */
  const OPENERS: Array<[string, string[]]> = [
    ["python", ["#"]],
    ["bash", ["#"]],
    ["yaml", ["#"]],
    ["dockerfile", ["#"]],
    ["typescript", ["//", "/*"]],
    ["go", ["//", "/*"]],
    ["php", ["#", "//", "/*"]],
    ["hcl", ["#", "//"]],
    ["json", ["//"]],
    ["css", ["/*"]],
    ["scss", ["//", "/*"]],
    ["sql", ["/*", "--"]],
    ["lua", ["--"]],
    ["html", ["<!--"]],
    ["markdown", ["<!--"]],
    ["vue", ["//", "<!--"]],
    ["latex", ["%"]],
    ["erlang", ["%"]],
    ["ini", ["#", ";"]],
    ["clojure", [";"]],
    ["ocaml", ["(*"]],
    ["fsharp", ["//", "(*"]],
  ];
  const ALL = ["#", "//", "/*", "<!--", "--", "%", ";", "(*"];

  it.each(OPENERS)("in %s opens with %j", (language, openers) => {
    expect(commentOpeners(language)).toEqual(openers);
  });

  it("in a block with no language, or one pc does not know, opens with any comment opener", () => {
    expect(commentOpeners("")).toEqual(ALL);
    expect(commentOpeners("brainfuck")).toEqual(ALL);
    expect(commentOpeners("csv")).toEqual(ALL);
  });

  it("is dropped from the file only when it is a comment in the block's language", () => {
    const answer = (label: string, first: string) => `\`\`\`${label}\n${first}\nx = 1\n\`\`\`\n`;
    const one = (label: string, first: string, output: string) =>
      extractOutputs(answer(label, first), [output], "fenced")[output];
    expect(one("sql", "-- db/q.sql", "db/q.sql")).toBe("x = 1\n");
    expect(one("lua", "-- lib/a.lua", "lib/a.lua")).toBe("x = 1\n");
    expect(one("ini", "; etc/a.ini", "etc/a.ini")).toBe("x = 1\n");
    expect(one("ocaml", "(* lib/a.ml *)", "lib/a.ml")).toBe("x = 1\n");
    expect(one("python", "// generated/a.py", "generated/a.py")).toBe("// generated/a.py\nx = 1\n");
    expect(one("", "-- generated/a.py", "generated/a.py")).toBe("x = 1\n");
  });
});
